output "state_machine_arn" {
  description = "ARN of the state machine."
  value       = aws_sfn_state_machine.this.arn
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
