# Remote state backend of serverless-lakehouse: an S3 bucket for the state and a DynamoDB table
# for the locks, both encrypted with a customer managed key. Apply once per account and region with
# local state, then put the outputs in ../backend.hcl.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  # S3 names are global: the default ends with the account id and region.
  state_bucket_name = coalesce(var.state_bucket_name, "serverless-lakehouse-tfstate-${data.aws_caller_identity.current.account_id}-${data.aws_region.current.region}")
}

module "state_key" {
  source = "../modules/kms-key"

  alias       = "serverless-lakehouse-tfstate"
  description = "Encrypts the serverless-lakehouse Terraform state bucket and lock table."
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:Access logging needs a second bucket that would itself need state; CloudTrail records state reads and writes.
  #checkov:skip=CKV_AWS_144:Cross-region replication of a small state bucket is not worth a second region; versioning keeps every past state.
  #checkov:skip=CKV2_AWS_62:Nothing consumes event notifications of state writes.
  bucket = local.state_bucket_name

  # Losing the bucket loses every environment's state: refuse to destroy it from Terraform.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.state_key.key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "state_bucket" {
  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    # Deny every S3 action over plain HTTP: a deny list is the strict direction.
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.state.arn,
      "${aws_s3_bucket.state.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.state]
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    # An empty filter applies the rule to every object in the bucket.
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

resource "aws_dynamodb_table" "lock" {
  name         = var.lock_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = module.state_key.key_arn
  }

  deletion_protection_enabled = true
}
