# serverless-lakehouse root module: wires one module per concern.
#   lakehouse-buckets  raw, bronze, silver and artifacts buckets, their SSM parameters, the bronze and silver Glue databases
#   alerting           SNS topics, subscriptions, failure routing rules and alarms
#   pipeline           WordPress REST API -> raw JSON -> bronze Parquet -> silver (Glue), daily, with an audit table
#   glue-cost-control  stops Glue interactive sessions after a chosen duration

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

locals {
  # Every resource is tagged through the provider's default_tags; this is the one place tags are set.
  tags = merge(
    {
      Project   = "serverless-lakehouse"
      ManagedBy = "terraform"
    },
    var.tags,
  )
}

module "lakehouse_buckets" {
  source = "./modules/lakehouse-buckets"

  name_prefix                        = var.name_prefix
  raw_bucket_name                    = var.raw_bucket_name
  bronze_bucket_name                 = var.bronze_bucket_name
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  glue_database_name                 = var.glue_database_name
}

module "alerting" {
  source = "./modules/alerting"

  name_prefix           = var.name_prefix
  alert_email_addresses = var.alert_email_addresses
  # Lists of known length (one entry per state machine / function), so counts are known at plan time.
  state_machine_arns    = concat([module.pipeline.state_machine_arn, module.pipeline.silver_state_machine_arn], module.glue_cost_control[*].state_machine_arn)
  lambda_function_names = module.pipeline.function_names
}

module "pipeline" {
  source = "./modules/pipeline"

  name_prefix = var.name_prefix

  raw_bucket_arn               = module.lakehouse_buckets.raw_bucket_arn
  bronze_bucket_arn            = module.lakehouse_buckets.bronze_bucket_arn
  raw_bucket_parameter_arn     = module.lakehouse_buckets.raw_bucket_parameter_arn
  raw_bucket_parameter_name    = module.lakehouse_buckets.raw_bucket_parameter_name
  bronze_bucket_parameter_arn  = module.lakehouse_buckets.bronze_bucket_parameter_arn
  bronze_bucket_parameter_name = module.lakehouse_buckets.bronze_bucket_parameter_name
  glue_database_name           = module.lakehouse_buckets.glue_database_name
  silver_bucket_name           = module.lakehouse_buckets.silver_bucket_name
  silver_bucket_arn            = module.lakehouse_buckets.silver_bucket_arn
  artifacts_bucket_name        = module.lakehouse_buckets.artifacts_bucket_name
  artifacts_bucket_arn         = module.lakehouse_buckets.artifacts_bucket_arn
  silver_glue_database_name    = module.lakehouse_buckets.silver_glue_database_name

  raw_topic_arn                  = module.alerting.raw_topic_arn
  raw_topic_parameter_arn        = module.alerting.raw_topic_parameter_arn
  raw_topic_parameter_name       = module.alerting.raw_topic_parameter_name
  bronze_topic_arn               = module.alerting.bronze_topic_arn
  bronze_topic_parameter_arn     = module.alerting.bronze_topic_parameter_arn
  bronze_topic_parameter_name    = module.alerting.bronze_topic_parameter_name
  failure_stepfunction_topic_arn = module.alerting.failure_stepfunction_topic_arn
  sns_kms_key_arn                = module.alerting.kms_key_arn

  wordpress_endpoints = var.wordpress_endpoints
  schedule_expression = var.pipeline_schedule_expression
  schedule_timezone   = var.pipeline_schedule_timezone
  pandas_layer_arn    = var.pandas_layer_arn
  log_retention_days  = var.log_retention_days
}

module "glue_cost_control" {
  source = "./modules/glue-cost-control"
  count  = var.enable_glue_cost_control ? 1 : 0

  name_prefix                    = var.name_prefix
  session_max_duration_seconds   = var.glue_session_max_duration_seconds
  success_stepfunction_topic_arn = module.alerting.success_stepfunction_topic_arn
  failure_stepfunction_topic_arn = module.alerting.failure_stepfunction_topic_arn
  sns_kms_key_arn                = module.alerting.kms_key_arn
  log_retention_days             = var.log_retention_days
}
