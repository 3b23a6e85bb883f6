output "state_machine_arn" {
  description = "Unqualified ARN of the state machine (IAM resource for starting it through the alias, execution history, metrics)."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_version_arn" {
  description = "ARN of the version published by the last change."
  value       = aws_sfn_state_machine.this.state_machine_version_arn
}

output "alias_arn" {
  description = "ARN of the alias (live) routing every execution to the published version: what schedules and rules start."
  value       = aws_sfn_alias.live.arn
}

output "alias_name" {
  description = "Name of the alias (the qualifier at the end of alias_arn); IAM grants starting through it with the states:StateMachineQualifier condition."
  value       = aws_sfn_alias.live.name
}

output "state_machine_name" {
  description = "Name of the state machine."
  value       = aws_sfn_state_machine.this.name
}

output "role_arn" {
  description = "ARN of the state machine's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the state machine's execution role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the CloudWatch log group receiving the state machine's execution logs."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the CloudWatch log group receiving the state machine's execution logs."
  value       = aws_cloudwatch_log_group.this.arn
}

output "console_url" {
  description = "AWS console link to the state machine and its executions."
  value       = "https://${local.region}.console.aws.amazon.com/states/home?region=${local.region}#/statemachines/view/${aws_sfn_state_machine.this.arn}"
}
