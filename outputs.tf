output "raw_bucket_name" {
  description = "Name of the raw layer bucket."
  value       = module.lakehouse_buckets.raw_bucket_name
}

output "bronze_bucket_name" {
  description = "Name of the bronze layer bucket."
  value       = module.lakehouse_buckets.bronze_bucket_name
}

output "glue_database_name" {
  description = "Glue Data Catalog database holding the bronze tables (query them with Athena)."
  value       = module.lakehouse_buckets.glue_database_name
}

output "topic_arns" {
  description = "SNS topic ARNs by key: failure_stepfunction, success_stepfunction, failure_lambda, raw, bronze."
  value       = module.alerting.topic_arns
}

output "pipeline_state_machine_arn" {
  description = "ARN of the WordPress_Raw_To_Bronze state machine."
  value       = module.pipeline.state_machine_arn
}

output "pipeline_state_machine_alias_arn" {
  description = "ARN of the WordPress_Raw_To_Bronze state machine's live alias (the schedule starts it; start a run by hand through it too)."
  value       = module.pipeline.state_machine_alias_arn
}

output "pipeline_state_machine_console_url" {
  description = "AWS console link to the WordPress_Raw_To_Bronze state machine."
  value       = module.pipeline.state_machine_console_url
}

output "glue_cost_control_state_machine_arn" {
  description = "ARN of the GlueSession-WaitAndStop state machine (null when glue cost control is disabled)."
  value       = one(module.glue_cost_control[*].state_machine_arn)
}

output "glue_cost_control_state_machine_console_url" {
  description = "AWS console link to the GlueSession-WaitAndStop state machine (null when glue cost control is disabled)."
  value       = one(module.glue_cost_control[*].state_machine_console_url)
}

output "failed_executions_queue_url" {
  description = "URL of the SQS queue recording every failed execution event of the project's state machines (drained by the replay function)."
  value       = module.alerting.failed_executions_queue_url
}

output "failed_executions_dead_letter_queue_url" {
  description = "URL of the dead-letter queue of failure events the replay function could not read or handle."
  value       = module.alerting.failed_executions_dead_letter_queue_url
}

output "failure_events_log_group_name" {
  description = "Log group keeping every failure event of the project's state machines (/aws/events/<prefix->stepfunction-failures)."
  value       = module.alerting.failure_events_log_group_name
}

output "failure_replay_function_name" {
  description = "Name of the replay_failed_executions function (invoke it by hand to replay now)."
  value       = module.failure_replay.function_name
}

output "failure_replay_schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule of the failure replay."
  value       = module.failure_replay.schedule_arn
}

output "silver_bucket_name" {
  description = "Name of the silver layer bucket."
  value       = module.lakehouse_buckets.silver_bucket_name
}

output "silver_glue_database_name" {
  description = "Glue Data Catalog database holding the silver tables (query them with Athena)."
  value       = module.lakehouse_buckets.silver_glue_database_name
}

output "silver_state_machine_arn" {
  description = "ARN of the WordPress_Bronze_To_Silver state machine (start it on its own to rebuild silver from bronze)."
  value       = module.pipeline.silver_state_machine_arn
}

output "silver_job_name" {
  description = "Name of the bronze-to-silver Glue job."
  value       = module.pipeline.silver_job_name
}

output "silver_job_log_group_names" {
  description = "Log groups the Glue job writes to (Glue 5.0): error (system, Spark, GlueLogger) and output (the script's standard output and error)."
  value       = module.pipeline.silver_job_log_group_names
}

output "gold_bucket_name" {
  description = "Name of the gold layer bucket."
  value       = module.lakehouse_buckets.gold_bucket_name
}

output "gold_glue_database_name" {
  description = "Glue Data Catalog database holding the gold tables (posts_enriched, publishing_activity, taxonomy_usage)."
  value       = module.lakehouse_buckets.gold_glue_database_name
}

output "gold_job_name" {
  description = "Name of the silver-to-gold Glue job."
  value       = module.pipeline.gold_job_name
}

output "athena_workgroup_name" {
  description = "Athena workgroup to query the lakehouse in (choose it in the query editor): results location, encryption and the per-query cutoff are enforced."
  value       = module.athena.workgroup_name
}

output "athena_results_location" {
  description = "S3 URI where the workgroup writes query results (they expire after athena_results_expiration_days)."
  value       = module.athena.results_location
}

output "athena_named_queries" {
  description = "Saved queries of the workgroup (one per queries/*.sql file), name -> id."
  value       = module.athena.named_query_ids
}

output "audit_table_name" {
  description = "DynamoDB table with one item per dataset per run (see the README for the query listing a dataset's last runs)."
  value       = module.pipeline.audit_table_name
}

output "load_state_table_name" {
  description = "DynamoDB table with each dataset's watermark and last full load (delete an item to force that dataset's next run to an InitialLoad)."
  value       = module.pipeline.load_state_table_name
}

output "landing_location" {
  description = "Where to drop files of your own datasets: s3://<raw bucket>/landing/<dataset>/<file> (CSV, JSON array, JSON Lines, Parquet; .gz for compressed text)."
  value       = module.landing_zone.landing_location
}

output "landing_failed_location" {
  description = "Where invalid landed files are moved: s3://<raw bucket>/failed/<dataset>/<run id>/<file>."
  value       = module.landing_zone.failed_location
}

output "landing_state_machine_alias_arn" {
  description = "ARN of the Landing_To_Silver state machine's live alias (the schedule starts it; start a run by hand through it too)."
  value       = module.landing_zone.state_machine_alias_arn
}

output "landing_function_name" {
  description = "Name of the landing_intake function (registers landed files; its logs say why a file was refused)."
  value       = module.landing_zone.function_name
}
