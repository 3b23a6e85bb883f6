output "schedule_arn" {
  description = "ARN of the schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "schedule_name" {
  description = "Name of the schedule (in the default schedule group)."
  value       = aws_scheduler_schedule.this.name
}

output "role_arn" {
  description = "ARN of the role Scheduler uses to start or invoke the target."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role (and of its inline policy)."
  value       = aws_iam_role.this.name
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue of undelivered starts (null without dead_letter_queue)."
  value       = one(aws_sqs_queue.dead_letter[*].arn)
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (null without dead_letter_queue)."
  value       = one(aws_sqs_queue.dead_letter[*].url)
}

output "dead_letter_alarm_arn" {
  description = "ARN of the alarm on the dead-letter queue (null without dead_letter_queue)."
  value       = one(aws_cloudwatch_metric_alarm.dead_letter[*].arn)
}
