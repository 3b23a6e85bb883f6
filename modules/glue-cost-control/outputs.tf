output "state_machine_arn" {
  description = "ARN of the GlueSession-WaitAndStop state machine (feeds the alerting module's failure routing)."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the state machine (GlueSession-WaitAndStop, with name_prefix in front when set)."
  value       = aws_sfn_state_machine.this.name
}

output "state_machine_console_url" {
  description = "AWS console link to the state machine and its executions."
  value       = "https://${local.region}.console.aws.amazon.com/states/home?region=${local.region}#/statemachines/view/${aws_sfn_state_machine.this.arn}"
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule that starts the state machine for each Glue CreateSession call."
  value       = aws_cloudwatch_event_rule.create_session.arn
}

output "event_rule_name" {
  description = "Name of the EventBridge rule that starts the state machine for each Glue CreateSession call."
  value       = aws_cloudwatch_event_rule.create_session.name
}

output "alarm_arn" {
  description = "ARN of the CloudWatch alarm on the state machine's ExecutionsFailed metric (notifies failure-stepfunction)."
  value       = aws_cloudwatch_metric_alarm.executions_failed.arn
}

output "log_group_name" {
  description = "Name of the CloudWatch log group receiving the state machine's ERROR-level execution logs."
  value       = aws_cloudwatch_log_group.state_machine.name
}
