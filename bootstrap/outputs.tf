output "bucket" {
  description = "State bucket name: the backend.hcl `bucket`."
  value       = aws_s3_bucket.state.bucket
}

output "region" {
  description = "Region of the state bucket and lock table: the backend.hcl `region`."
  value       = data.aws_region.current.region
}

output "dynamodb_table" {
  description = "Lock table name: the backend.hcl `dynamodb_table`."
  value       = aws_dynamodb_table.lock.name
}

output "key" {
  description = "Suggested state object key: the backend.hcl `key`."
  value       = var.state_key
}

output "kms_key_id" {
  description = "ARN of the key that encrypts the state: the backend.hcl `kms_key_id`, so state objects use it rather than SSE-S3."
  value       = module.state_key.key_arn
}

output "backend_hcl" {
  description = "Complete backend.hcl for the project root: terraform -chdir=bootstrap output -raw backend_hcl > backend.hcl"
  value       = <<-EOT
    bucket         = "${aws_s3_bucket.state.bucket}"
    key            = "${var.state_key}"
    region         = "${data.aws_region.current.region}"
    dynamodb_table = "${aws_dynamodb_table.lock.name}"
    kms_key_id     = "${module.state_key.key_arn}"
  EOT
}
