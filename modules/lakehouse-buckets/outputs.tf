output "raw_bucket_name" {
  description = "Name of the raw layer bucket."
  value       = aws_s3_bucket.this["raw"].bucket
}

output "raw_bucket_arn" {
  description = "ARN of the raw layer bucket."
  value       = aws_s3_bucket.this["raw"].arn
}

output "bronze_bucket_name" {
  description = "Name of the bronze layer bucket."
  value       = aws_s3_bucket.this["bronze"].bucket
}

output "bronze_bucket_arn" {
  description = "ARN of the bronze layer bucket."
  value       = aws_s3_bucket.this["bronze"].arn
}

output "raw_bucket_parameter_name" {
  description = "Name of the SSM parameter holding the raw bucket name."
  value       = aws_ssm_parameter.bucket_name["raw"].name
}

output "raw_bucket_parameter_arn" {
  description = "ARN of the SSM parameter holding the raw bucket name (for ssm:GetParameter grants)."
  value       = aws_ssm_parameter.bucket_name["raw"].arn
}

output "bronze_bucket_parameter_name" {
  description = "Name of the SSM parameter holding the bronze bucket name."
  value       = aws_ssm_parameter.bucket_name["bronze"].name
}

output "bronze_bucket_parameter_arn" {
  description = "ARN of the SSM parameter holding the bronze bucket name (for ssm:GetParameter grants)."
  value       = aws_ssm_parameter.bucket_name["bronze"].arn
}

output "glue_database_name" {
  description = "Name of the Glue Data Catalog database for the bronze tables."
  value       = aws_glue_catalog_database.bronze.name
}

output "glue_database_arn" {
  description = "ARN of the Glue Data Catalog database for the bronze tables."
  value       = aws_glue_catalog_database.bronze.arn
}

output "silver_bucket_name" {
  description = "Name of the silver layer bucket."
  value       = aws_s3_bucket.this["silver"].bucket
}

output "silver_bucket_arn" {
  description = "ARN of the silver layer bucket."
  value       = aws_s3_bucket.this["silver"].arn
}

output "silver_bucket_parameter_name" {
  description = "Name of the SSM parameter holding the silver bucket name."
  value       = aws_ssm_parameter.bucket_name["silver"].name
}

output "silver_bucket_parameter_arn" {
  description = "ARN of the SSM parameter holding the silver bucket name (for ssm:GetParameter grants)."
  value       = aws_ssm_parameter.bucket_name["silver"].arn
}

output "artifacts_bucket_name" {
  description = "Name of the bucket holding Glue job scripts and Spark temporary files."
  value       = aws_s3_bucket.this["artifacts"].bucket
}

output "artifacts_bucket_arn" {
  description = "ARN of the bucket holding Glue job scripts and Spark temporary files."
  value       = aws_s3_bucket.this["artifacts"].arn
}

output "silver_glue_database_name" {
  description = "Name of the Glue Data Catalog database for the silver tables."
  value       = aws_glue_catalog_database.silver.name
}

output "silver_glue_database_arn" {
  description = "ARN of the Glue Data Catalog database for the silver tables."
  value       = aws_glue_catalog_database.silver.arn
}

output "gold_bucket_name" {
  description = "Name of the gold layer bucket."
  value       = aws_s3_bucket.this["gold"].bucket
}

output "gold_bucket_arn" {
  description = "ARN of the gold layer bucket."
  value       = aws_s3_bucket.this["gold"].arn
}

output "gold_bucket_parameter_name" {
  description = "Name of the SSM parameter holding the gold bucket name."
  value       = aws_ssm_parameter.bucket_name["gold"].name
}

output "gold_bucket_parameter_arn" {
  description = "ARN of the SSM parameter holding the gold bucket name (for ssm:GetParameter grants)."
  value       = aws_ssm_parameter.bucket_name["gold"].arn
}

output "gold_glue_database_name" {
  description = "Name of the Glue Data Catalog database for the gold tables."
  value       = aws_glue_catalog_database.gold.name
}

output "gold_glue_database_arn" {
  description = "ARN of the Glue Data Catalog database for the gold tables."
  value       = aws_glue_catalog_database.gold.arn
}
