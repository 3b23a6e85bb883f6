output "topic_arns" {
  description = "SNS topic ARNs by key: failure_stepfunction, success_stepfunction, failure_lambda, raw, bronze."
  value       = { for key, topic in aws_sns_topic.this : key => topic.arn }
}

output "failure_stepfunction_topic_arn" {
  description = "ARN of the failure-stepfunction topic (state machine failures)."
  value       = aws_sns_topic.this["failure_stepfunction"].arn
}

output "success_stepfunction_topic_arn" {
  description = "ARN of the success-stepfunction topic (state machine success notices)."
  value       = aws_sns_topic.this["success_stepfunction"].arn
}

output "failure_lambda_topic_arn" {
  description = "ARN of the failure-lambda topic (Lambda error alarms)."
  value       = aws_sns_topic.this["failure_lambda"].arn
}

output "raw_topic_arn" {
  description = "ARN of the data-lakehouse-raw topic (raw layer alerts)."
  value       = aws_sns_topic.this["raw"].arn
}

output "bronze_topic_arn" {
  description = "ARN of the data-lakehouse-bronze topic (bronze layer alerts)."
  value       = aws_sns_topic.this["bronze"].arn
}

output "raw_topic_parameter_name" {
  description = "Name of the SSM parameter holding the raw topic ARN."
  value       = aws_ssm_parameter.topic_arn["raw"].name
}

output "raw_topic_parameter_arn" {
  description = "ARN of the SSM parameter holding the raw topic ARN (for ssm:GetParameter grants)."
  value       = aws_ssm_parameter.topic_arn["raw"].arn
}

output "bronze_topic_parameter_name" {
  description = "Name of the SSM parameter holding the bronze topic ARN."
  value       = aws_ssm_parameter.topic_arn["bronze"].name
}

output "bronze_topic_parameter_arn" {
  description = "ARN of the SSM parameter holding the bronze topic ARN (for ssm:GetParameter grants)."
  value       = aws_ssm_parameter.topic_arn["bronze"].arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the topics. Roles that publish need kms:GenerateDataKey and kms:Decrypt on it."
  value       = module.sns_key.key_arn
}

output "failed_executions_queue_url" {
  description = "URL of the SQS queue receiving every failure event of the routed state machines, as EventBridge delivers it (read by the replay function)."
  value       = aws_sqs_queue.failed_executions.id
}

output "failed_executions_queue_arn" {
  description = "ARN of the failed-executions queue (for sqs:ReceiveMessage/DeleteMessage grants)."
  value       = aws_sqs_queue.failed_executions.arn
}

output "failed_executions_dead_letter_queue_url" {
  description = "URL of the failed-executions dead-letter queue: messages the replay function could not read or handle."
  value       = aws_sqs_queue.failed_executions_dead_letter.id
}

output "failed_executions_dead_letter_queue_arn" {
  description = "ARN of the failed-executions dead-letter queue (for sqs:SendMessage grants)."
  value       = aws_sqs_queue.failed_executions_dead_letter.arn
}

output "failure_events_log_group_name" {
  description = "Name of the log group keeping every failure event (/aws/events/<prefix->stepfunction-failures)."
  value       = aws_cloudwatch_log_group.failure_events.name
}
