# Remote state in S3 with locking. Partial configuration: the bucket, key, region and lock
# table come from a file made from backend.hcl.example (bootstrap/ outputs its values):
#
#   terraform init -backend-config=backend.hcl
#
# Both locks are taken: the DynamoDB lock (dynamodb_table, deprecated since Terraform 1.11)
# and the S3-native lock file (use_lockfile). When DynamoDB locking is removed from
# Terraform, drop dynamodb_table from backend.hcl and nothing else changes.
terraform {
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
