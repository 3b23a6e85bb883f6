output "workgroup_name" {
  description = "Name of the Athena workgroup: choose it in the console's query editor (or pass --work-group) to query the lakehouse."
  value       = aws_athena_workgroup.this.name
}

output "workgroup_arn" {
  description = "ARN of the Athena workgroup (for athena:StartQueryExecution grants)."
  value       = aws_athena_workgroup.this.arn
}

output "results_bucket_name" {
  description = "Name of the bucket Athena writes query results to (under results/)."
  value       = aws_s3_bucket.results.bucket
}

output "results_bucket_arn" {
  description = "ARN of the query results bucket (analysts need s3:GetObject and s3:PutObject under results/)."
  value       = aws_s3_bucket.results.arn
}

output "results_location" {
  description = "S3 URI of the workgroup's enforced results location."
  value       = "s3://${aws_s3_bucket.results.bucket}/${local.results_prefix}"
}

output "named_query_ids" {
  description = "Id of each saved query, by name (the .sql file's stem)."
  value       = { for name, query in aws_athena_named_query.this : name => query.id }
}
