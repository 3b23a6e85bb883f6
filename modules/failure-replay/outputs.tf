output "function_name" {
  description = "Name of the replay_failed_executions function (known at plan time: the alerting module alarms on its errors)."
  value       = local.function_name
}

output "function_arn" {
  description = "ARN of the replay_failed_executions function."
  value       = aws_lambda_function.this.arn
}

output "function_log_group_name" {
  description = "Log group of the function (one JSON line per decision and a run summary)."
  value       = aws_cloudwatch_log_group.function.name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.function.arn
}

output "schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule that invokes the function."
  value       = aws_scheduler_schedule.this.arn
}

output "function_alias_arn" {
  description = "ARN of the function's `live` alias, which the schedule invokes."
  value       = aws_lambda_alias.live.arn
}
