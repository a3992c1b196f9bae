/**
 * The metrics a Tandem server exports at `/metrics`, by name and type: the contract the shipped
 * alerts and dashboard are written against.
 */
export const metricContract: Readonly<Record<string, { type: 'counter' | 'gauge' | 'histogram' }>> = {
  // Commands.
  tandem_commands_total: { type: 'counter' },
  tandem_command_duration_seconds: { type: 'histogram' },
  tandem_command_conflicts_total: { type: 'counter' },
  tandem_command_retries_total: { type: 'counter' },
  tandem_group_commit_size: { type: 'histogram' },
  tandem_audit_failures_total: { type: 'counter' },
  // HTTP.
  tandem_http_requests_total: { type: 'counter' },
  tandem_http_request_duration_seconds: { type: 'histogram' },
  tandem_http_rate_limited_total: { type: 'counter' },
  // Projections.
  tandem_log_head_position: { type: 'gauge' },
  tandem_projection_position: { type: 'gauge' },
  tandem_projection_lag_events: { type: 'gauge' },
  tandem_projection_lag_seconds: { type: 'gauge' },
  tandem_projection_parked_events: { type: 'gauge' },
  tandem_projection_stopped_on_error: { type: 'gauge' },
  tandem_projection_state: { type: 'gauge' },
  tandem_projection_stalled: { type: 'gauge' },
  tandem_projection_stall_info: { type: 'gauge' },
  tandem_projection_apply_duration_seconds: { type: 'histogram' },
  tandem_projection_batch_size: { type: 'histogram' },
  tandem_projection_failures_total: { type: 'counter' },
  tandem_projection_rebuild_progress: { type: 'gauge' },
  tandem_projection_rebuild_duration_seconds: { type: 'gauge' },
  tandem_ready: { type: 'gauge' },
  // Process. The guard's count is a gauge named like a counter (it reads a process-wide number).
  tandem_unhandled_rejections_total: { type: 'gauge' },
};

/** prom-client's default metrics, exported with this prefix. */
export const processMetricPrefix = 'tandem_process_';

/** The histograms among the contract's metrics (their series end in _bucket, _sum, _count). */
export const contractHistograms: ReadonlySet<string> = new Set(
  Object.entries(metricContract)
    .filter(([, m]) => m.type === 'histogram')
    .map(([name]) => name),
);
