export {
  AbortError,
  BuddyError,
  InputValidationError,
  InvalidOptionError,
  InvalidSessionFieldError,
  LeaseLostError,
  NonDeterminismError,
  ReplayedStepError,
  RunIdConflictError,
  RunNotRunningError,
  RunNotSuspendedError,
  SessionBusyError,
  SessionConflictError,
  SessionDecodeError,
  StorageConfigError,
  StorageUnavailableError,
  UnstorableValueError,
  WaitTimeoutError,
} from "./errors.js";
export { type BoundWorkflow, bindWorkflow } from "./run/bind-workflow.js";
export { runResponseContent, workflowCompleted } from "./run/event-constructors.js";
export { execute, run } from "./run/execute.js";
export type { ExecuteOptions, RunOptionsArgs } from "./run/execute-options.js";
export { newSessionId } from "./run/ids.js";
export type { Logger } from "./run/logger.js";
export type { Message, ToolCall } from "./run/message.js";
export type { RecoverRunsOptions } from "./run/recover-runs.js";
export { recoverRuns } from "./run/recover-runs.js";
export type { ResumeOptions } from "./run/resume.js";
export { resume } from "./run/resume.js";
export type {
  AgentEvent,
  EventBase,
  PendingWait,
  RunCompletedEvent,
  RunErrorEvent,
  RunResponseContentEvent,
  RunStartedEvent,
  StepCompletedEvent,
  StepStartedEvent,
  ToolCallCompletedEvent,
  ToolCallStartedEvent,
  WorkflowCancelledEvent,
  WorkflowCompletedEvent,
  WorkflowErrorEvent,
  WorkflowEvent,
  WorkflowStartedEvent,
  WorkflowSuspendedEvent,
} from "./run/run-event.js";
export { isRunEvent, RunEvent } from "./run/run-event.js";
export type { RunMetrics } from "./run/run-metrics.js";
export type { RunResponseInit, RunStatus } from "./run/run-response.js";
export { RunResponse } from "./run/run-response.js";
export type { WaitOptions } from "./run/run-wait.js";
export { WorkflowStream } from "./run/workflow-stream.js";
export type { EventBatch } from "./session/event-batch.js";
export { readEventBatches } from "./session/event-unpack.js";
export type { QueryLogEvent, StorageOptions } from "./session/kysely/storage-options.js";
export type { StepRecord, StepWrite } from "./session/step-record.js";
export type { StoredEvent } from "./session/stored-event.js";
export type { WorkflowSession } from "./session/workflow-session.js";
export type {
  ListSessionsOptions,
  OpenRunRequest,
  RunOutcome,
  SessionRun,
  SuspendedRun,
  WorkflowStorage,
} from "./session/workflow-storage.js";
export { configureTracing, type TracingOptions } from "./tracing/configure.js";
export type {
  WorkflowDefinition,
  WorkflowDefinitionWithInput,
} from "./workflow/define-workflow.js";
export { defineWorkflow } from "./workflow/define-workflow.js";
export type { StepInfo, StepOptions } from "./workflow/step-options.js";
export type {
  ContentOf,
  SessionState,
  Workflow,
  WorkflowFn,
  WorkflowItem,
  WorkflowLike,
  WorkflowResult,
} from "./workflow/workflow.js";
export type { WorkflowContext } from "./workflow/workflow-context.js";

// Agents, tools and the model interface.

export type {
  Agent,
  AgentCallOptions,
  AgentOptions,
  AgentResponse,
  AgentStream,
} from "./agent/agent.js";
export { agent } from "./agent/agent.js";
export type { SchemaIssue } from "./agent/agent-errors.js";
export {
  AgentConfigError,
  OutputValidationError,
  SchemaConversionError,
  ToolLoopLimitError,
} from "./agent/agent-errors.js";
export type { Tool, ToolExecuteOptions, ToolOptions } from "./agent/tool.js";
export { tool } from "./agent/tool.js";
export type {
  FinishChunk,
  Model,
  ModelChunk,
  ModelRequest,
  ResponseFormat,
  TextDeltaChunk,
  ToolCallChunk,
  ToolDefinition,
  UsageChunk,
} from "./models/model.js";
export { ModelError, ModelHTTPError, ModelTimeoutError } from "./models/model-errors.js";
