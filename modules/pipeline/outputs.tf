output "state_machine_arn" {
  description = "ARN of the WordPress_Raw_To_Bronze state machine (feeds the alerting module's failure routing)."
  value       = module.state_machine.state_machine_arn
}

output "state_machine_alias_arn" {
  description = "ARN of the state machine's live alias, which the schedule starts (start runs by hand through it too)."
  value       = module.state_machine.alias_arn
}

output "state_machine_name" {
  description = "Name of the state machine."
  value       = module.state_machine.state_machine_name
}

output "state_machine_console_url" {
  description = "AWS console link to the state machine and its executions."
  value       = module.state_machine.console_url
}

output "state_machine_log_group_name" {
  description = "Log group of the state machine's ERROR-level execution logs."
  value       = module.state_machine.log_group_name
}

output "raw_function_name" {
  description = "Name of the data_wordpressapi_raw Lambda function."
  value       = module.function["raw"].function_name
}

output "raw_function_arn" {
  description = "ARN of the data_wordpressapi_raw Lambda function."
  value       = module.function["raw"].function_arn
}

output "raw_function_alias_arn" {
  description = "ARN of the data_wordpressapi_raw function's live alias, which the state machine invokes."
  value       = module.function["raw"].alias_arn
}

output "bronze_function_name" {
  description = "Name of the data_wordpressapi_bronze Lambda function."
  value       = module.function["bronze"].function_name
}

output "bronze_function_arn" {
  description = "ARN of the data_wordpressapi_bronze Lambda function."
  value       = module.function["bronze"].function_arn
}

output "bronze_function_alias_arn" {
  description = "ARN of the data_wordpressapi_bronze function's live alias, which the state machine invokes."
  value       = module.function["bronze"].alias_arn
}

output "function_names" {
  description = "Names of both pipeline functions, raw first (the alerting module alarms on their errors). Known at plan time."
  value       = [local.function_names["raw"], local.function_names["bronze"]]
}

output "function_log_group_names" {
  description = "Log groups of the functions, by key (raw, bronze)."
  value       = { for key, function in module.function : key => function.log_group_name }
}

output "common_layer_arn" {
  description = "Versioned ARN of the lakehouse_common helpers layer."
  value       = aws_lambda_layer_version.common.arn
}

output "pandas_layer_arn" {
  description = "ARN of the AWS SDK for pandas layer both functions use (explicit or looked up)."
  value       = local.pandas_layer_arn
}

output "endpoints_parameter_name" {
  description = "Name of the StringList SSM parameter holding the WordPress endpoint URLs."
  value       = aws_ssm_parameter.endpoints.name
}

output "endpoints_parameter_arn" {
  description = "ARN of the StringList SSM parameter holding the WordPress endpoint URLs."
  value       = aws_ssm_parameter.endpoints.arn
}

output "schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule that starts the state machine."
  value       = module.schedule.schedule_arn
}

output "dead_letter_queue_arn" {
  description = "ARN of the SQS queue receiving schedule events whose execution could not be started after all retries."
  value       = module.schedule.dead_letter_queue_arn
}

output "dead_letter_queue_url" {
  description = "URL of the schedule's dead-letter queue."
  value       = module.schedule.dead_letter_queue_url
}

output "schedule_dead_letter_alarm_arn" {
  description = "ARN of the CloudWatch alarm that notifies failure-stepfunction when the schedule's dead-letter queue holds a start it could not deliver."
  value       = module.schedule.dead_letter_alarm_arn
}

output "silver_state_machine_arn" {
  description = "ARN of the WordPress_Bronze_To_Silver state machine (started by WordPress_Raw_To_Bronze, or on its own to rebuild silver from bronze)."
  value       = module.silver_state_machine.state_machine_arn
}

output "silver_state_machine_name" {
  description = "Name of the silver state machine."
  value       = module.silver_state_machine.state_machine_name
}

output "silver_state_machine_console_url" {
  description = "AWS console link to the silver state machine and its executions."
  value       = module.silver_state_machine.console_url
}

output "silver_job_name" {
  description = "Name of the bronze-to-silver Glue job."
  value       = aws_glue_job.silver.name
}

output "silver_job_log_group_name" {
  description = "Log group of the Glue job's standard output and error (the script's own log lines): <prefix>/<security configuration>-role/<role>/output, where Glue 5.0 writes them."
  value       = aws_cloudwatch_log_group.silver_job["output"].name
}

output "silver_job_log_group_names" {
  description = "Both log groups Glue 5.0 writes the job's logs to: error (system, Spark and GlueLogger logs) and output (standard output and error)."
  value       = { for stream, group in aws_cloudwatch_log_group.silver_job : stream => group.name }
}

output "silver_job_script_location" {
  description = "S3 URI of the uploaded job script."
  value       = "s3://${var.artifacts_bucket_name}/${aws_s3_object.silver_job_script.key}"
}

output "audit_table_name" {
  description = "Name of the DynamoDB audit table (hash key dataset, range key run_id)."
  value       = aws_dynamodb_table.audit.name
}

output "audit_table_arn" {
  description = "ARN of the DynamoDB audit table."
  value       = aws_dynamodb_table.audit.arn
}

output "audit_state_index_name" {
  description = "Name of the audit table's state index (hash key state, range key arrived_at, every attribute projected): the landing zone queries its NEW files there."
  value       = local.audit_state_index_name
}

output "audit_state_index_arn" {
  description = "ARN of the audit table's state index (what dynamodb:Query on it is authorized on)."
  value       = "${aws_dynamodb_table.audit.arn}/index/${local.audit_state_index_name}"
}

output "lakehouse_publish_key" {
  description = "Key of jobs/lakehouse_publish.py in the artifacts bucket: the silver jobs' shared publish helpers (--extra-py-files)."
  value       = aws_s3_object.lakehouse_publish.key
}

output "load_state_table_name" {
  description = "Name of the DynamoDB table of each dataset's watermark and last full load (hash key dataset)."
  value       = aws_dynamodb_table.load_state.name
}

output "load_state_table_arn" {
  description = "ARN of the DynamoDB load-state table."
  value       = aws_dynamodb_table.load_state.arn
}

output "gold_job_name" {
  description = "Name of the gold Glue job (silver -> gold)."
  value       = aws_glue_job.gold.name
}

output "gold_job_arn" {
  description = "ARN of the gold Glue job (for the glue:StartJobRun grant of the state machine that runs it)."
  value       = local.gold_glue_job_arn
}

output "gold_job_script_location" {
  description = "S3 URI of the gold job's uploaded script."
  value       = "s3://${var.artifacts_bucket_name}/${aws_s3_object.gold_job_script.key}"
}

output "gold_job_log_group_names" {
  description = "Both groups the gold job logs to, by kind: error (system, Spark, GlueLogger) and output (the script's standard output and error)."
  value       = { for stream, group in aws_cloudwatch_log_group.gold_job : stream => group.name }
}
