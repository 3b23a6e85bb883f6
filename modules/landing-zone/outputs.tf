output "landing_location" {
  description = "Where to drop files: s3://<raw bucket>/landing/ (one folder per dataset, landing/<dataset>/<file>)."
  value       = "s3://${var.raw_bucket_name}/${local.landing_prefix}/"
}

output "failed_location" {
  description = "Where invalid files are moved: s3://<raw bucket>/failed/ (failed/<dataset>/<run id>/<file>)."
  value       = "s3://${var.raw_bucket_name}/${local.failed_prefix}/"
}

output "contracts_location" {
  description = "Where the dataset contracts are uploaded: s3://<artifacts bucket>/datasets/ (datasets/<dataset>.json)."
  value       = "s3://${var.artifacts_bucket_name}/${local.contracts_prefix}"
}

output "contract_keys" {
  description = "Keys of the uploaded dataset contracts in the artifacts bucket (one per datasets/*.json of the repository)."
  value       = sort([for contract in aws_s3_object.contract : contract.key])
}

output "function_name" {
  description = "Name of the landing_intake Lambda function (known at plan time: the alerting module alarms on its errors)."
  value       = local.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the landing_intake function."
  value       = module.function.function_arn
}

output "function_alias_arn" {
  description = "ARN of the function's live alias, which the EventBridge rule and the state machine invoke."
  value       = module.function.alias_arn
}

output "function_log_group_name" {
  description = "Log group of the landing_intake function."
  value       = module.function.log_group_name
}

output "object_created_rule_name" {
  description = "Name of the EventBridge rule that sends Object Created events under landing/ to the function."
  value       = aws_cloudwatch_event_rule.object_created.name
}

output "object_created_rule_arn" {
  description = "ARN of the EventBridge rule that sends Object Created events under landing/ to the function."
  value       = aws_cloudwatch_event_rule.object_created.arn
}

output "dead_letter_queue_arn" {
  description = "ARN of the SQS queue receiving the Object Created events EventBridge could not deliver to the function."
  value       = aws_sqs_queue.dead_letter.arn
}

output "dead_letter_queue_url" {
  description = "URL of the Object Created events' dead-letter queue."
  value       = aws_sqs_queue.dead_letter.url
}

output "state_machine_arn" {
  description = "ARN of the Landing_To_Silver state machine (it publishes its own failure alert: the alerting module routes only its TIMED_OUT and ABORTED executions)."
  value       = module.state_machine.state_machine_arn
}

output "state_machine_alias_arn" {
  description = "ARN of Landing_To_Silver's live alias, which the schedule starts (start runs by hand through it too)."
  value       = module.state_machine.alias_arn
}

output "state_machine_name" {
  description = "Name of the Landing_To_Silver state machine."
  value       = module.state_machine.state_machine_name
}

output "state_machine_console_url" {
  description = "AWS console link to the Landing_To_Silver state machine and its executions."
  value       = module.state_machine.console_url
}

output "schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule that starts Landing_To_Silver."
  value       = module.schedule.schedule_arn
}

output "file_job_name" {
  description = "Name of the landing_file_to_bronze Glue job (files larger than lambda_max_file_bytes)."
  value       = aws_glue_job.this["file_to_bronze"].name
}

output "silver_job_name" {
  description = "Name of the landing_bronze_to_silver Glue job."
  value       = aws_glue_job.this["bronze_to_silver"].name
}

output "job_log_group_names" {
  description = "The log groups Glue 5.0 writes the jobs' logs to, by <job>/<stream> (file_to_bronze/error, file_to_bronze/output, bronze_to_silver/error, bronze_to_silver/output)."
  value       = { for key, group in aws_cloudwatch_log_group.job : key => group.name }
}

output "intake_package_location" {
  description = "S3 URI of functions/landing_intake/src zipped for landing_file_to_bronze (its --extra-py-files)."
  value       = "s3://${var.artifacts_bucket_name}/${aws_s3_object.intake_package.key}"
}
