output "function_name" {
  description = "Name of the replay_failed_executions function (known at plan time: the alerting module alarms on its errors)."
  value       = local.function_name
}

output "function_arn" {
  description = "ARN of the replay_failed_executions function."
  value       = module.function.function_arn
}

output "function_log_group_name" {
  description = "Log group of the function (one JSON line per decision and a run summary)."
  value       = module.function.log_group_name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = module.function.role_arn
}

output "schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule that invokes the function."
  value       = module.schedule.schedule_arn
}

output "function_alias_arn" {
  description = "ARN of the function's `live` alias, which the schedule invokes."
  value       = module.function.alias_arn
}
