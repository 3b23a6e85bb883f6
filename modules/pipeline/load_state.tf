# Incremental loads: what each dataset has loaded so far, one item per dataset.
#   dataset            partition key (the endpoint's object name: posts, pages, categories, ...)
#   watermark          newest modified_gmt loaded (UTC, YYYY-MM-DDTHH:MM:SSZ; incremental datasets only)
#   last_full_load_at  start of the last run that loaded the whole dataset (an InitialLoad)
#   loaded_run_id      the run that last advanced the item (the optimistic-concurrency token)
# WordPress_Raw_To_Bronze reads the item to choose InitialLoad or Update; WordPress_Bronze_To_Silver
# advances it, with a conditional write, only after the dataset's run reached SILVER.

locals {
  load_state_table_name = join("-", compact([var.name_prefix, var.load_state_table_name]))
}

resource "aws_dynamodb_table" "load_state" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS managed aws/dynamodb key, like the audit table; a customer managed key would need KMS grants for both state machines.
  name         = local.load_state_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "dataset"

  attribute {
    name = "dataset"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = var.audit_table_deletion_protection
}
