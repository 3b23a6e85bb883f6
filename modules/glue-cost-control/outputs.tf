output "state_machine_arn" {
  description = "ARN of the GlueSession-WaitAndStop state machine (feeds the alerting module's failure routing)."
  value       = module.state_machine.state_machine_arn
}

output "state_machine_alias_arn" {
  description = "ARN of the state machine's live alias, which the EventBridge rule starts."
  value       = module.state_machine.alias_arn
}

output "state_machine_name" {
  description = "Name of the state machine (GlueSession-WaitAndStop, with name_prefix in front when set)."
  value       = module.state_machine.state_machine_name
}

output "state_machine_console_url" {
  description = "AWS console link to the state machine and its executions."
  value       = module.state_machine.console_url
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule that starts the state machine for each Glue CreateSession call."
  value       = aws_cloudwatch_event_rule.create_session.arn
}

output "event_rule_name" {
  description = "Name of the EventBridge rule that starts the state machine for each Glue CreateSession call."
  value       = aws_cloudwatch_event_rule.create_session.name
}

output "log_group_name" {
  description = "Name of the CloudWatch log group receiving the state machine's ERROR-level execution logs."
  value       = module.state_machine.log_group_name
}
