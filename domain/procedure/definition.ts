/* Generated from procedures/schema/procedure.schema.json by scripts/gen-procedure-types.ts: do not edit. */

/**
 * Exactly one unit: working days (8 working hours each), working hours, calendar days, or an ISO-8601 duration.
 */
export type Duration = ({
/**
 * Ngày làm việc.
 */
workingDays: number
} | {
/**
 * Giờ làm việc.
 */
workingHours: number
} | {
/**
 * Ngày (calendar days).
 */
days: number
} | {
/**
 * ISO-8601 wall-clock duration, e.g. PT30S.
 */
iso: string
})
/**
 * @minItems 1
 */
export type Steps = [Step, ...(Step)[]]
export type Step = (ReceptionStep | TaskStep | DigitizeStep | PaymentStep | HandoffStep | ParallelStep | DecisionStep | WaitStep | NotifyStep | ReturnStep)
/**
 * {} goes on with the step's next; {next} goes there; {supplement: true} asks the applicant for more; {stop: true} stops processing.
 */
export type Outcome = ({

} | {
next: string
} | {
supplement: true
} | {
stop: true
})

/**
 * Quy trình nội bộ giải quyết thủ tục hành chính: one administrative procedure's internal process, run by the platform for every dossier. Contract: PROCEDURE-DSL.md.
 */
export interface ProcedureDefinition {
/**
 * This schema, for editors.
 */
$schema?: string
/**
 * Mã TTHC: the national procedure code, e.g. 1.001193.
 */
code: string
/**
 * Increases per code; a published version is immutable.
 */
version: number
/**
 * Tên thủ tục (Vietnamese).
 */
name: string
/**
 * Lĩnh vực.
 */
sector?: string
/**
 * Code of the owning agency in the org registry.
 */
agency: string
/**
 * Mức độ dịch vụ công trực tuyến.
 */
serviceLevel?: ("full-online" | "partial-online" | "offline")
deadline: Duration
/**
 * Phí, lệ phí.
 */
fees?: Fee[]
/**
 * Thành phần hồ sơ.
 */
documents?: DossierDocument[]
/**
 * JSON Schema of what the applicant fills in; checked on submission.
 */
applicationForm?: {

}
/**
 * How results may be returned.
 * 
 * @minItems 1
 */
returnChannels?: [("electronic" | "counter" | "postal"), ...(("electronic" | "counter" | "postal"))[]]
steps: Steps
}
export interface Fee {
code: string
name: string
/**
 * VND.
 */
amount: number
/**
 * When it is due.
 */
collect: ("at-reception" | "before-return")
}
export interface DossierDocument {
code: string
name: string
required: boolean
copies?: number
}
export interface ReceptionStep {
/**
 * Mã bước: unique in the whole definition, branches included.
 */
id: string
/**
 * Tiếp nhận: accept (2), supplement (5), refuse (3).
 */
kind: "reception"
/**
 * Tên bước, shown to officers and in the diagram.
 */
name?: string
deadline?: Duration
/**
 * Id of the following step in the same list; absent: the branch (or the process) ends here.
 */
next?: string
assignee: Assignee
}
/**
 * Who takes the task: a unit of the procedure's agency and a role.
 */
export interface Assignee {
unit: string
role: string
}
export interface TaskStep {
/**
 * Mã bước: unique in the whole definition, branches included.
 */
id: string
/**
 * A human task for an officer.
 */
kind: "task"
/**
 * Tên bước, shown to officers and in the diagram.
 */
name?: string
deadline?: Duration
/**
 * Id of the following step in the same list; absent: the branch (or the process) ends here.
 */
next?: string
assignee: Assignee
/**
 * JSON Schema of the data the officer submits.
 */
form?: {

}
outcomes: Outcomes
}
export interface Outcomes {
[k: string]: Outcome
}
export interface DigitizeStep {
/**
 * Mã bước: unique in the whole definition, branches included.
 */
id: string
/**
 * Số hóa hồ sơ.
 */
kind: "digitize"
/**
 * Tên bước, shown to officers and in the diagram.
 */
name?: string
deadline?: Duration
/**
 * Id of the following step in the same list; absent: the branch (or the process) ends here.
 */
next?: string
/**
 * "all" or the document codes to digitize.
 */
documents: ("all" | [string, ...(string)[]])
}
export interface PaymentStep {
/**
 * Mã bước: unique in the whole definition, branches included.
 */
id: string
/**
 * Yêu cầu nộp phí (status 6).
 */
kind: "payment"
/**
 * Tên bước, shown to officers and in the diagram.
 */
name?: string
deadline?: Duration
/**
 * Id of the following step in the same list; absent: the branch (or the process) ends here.
 */
next?: string
/**
 * Fee codes to collect.
 * 
 * @minItems 1
 */
fees: [string, ...(string)[]]
/**
 * Stop the dossier when the step's deadline passes unpaid.
 */
onTimeout?: "stop"
}
export interface HandoffStep {
/**
 * Mã bước: unique in the whole definition, branches included.
 */
id: string
/**
 * Liên thông: hand the dossier to another agency.
 */
kind: "handoff"
/**
 * Tên bước, shown to officers and in the diagram.
 */
name?: string
deadline?: Duration
/**
 * Id of the following step in the same list; absent: the branch (or the process) ends here.
 */
next?: string
to: {
agency: string
}
/**
 * A procedure code published on this platform: runs as a linked partner dossier.
 */
procedure?: string
/**
 * An external partner reached over HTTP: it gets the signed dossier package and answers by signed callback. Outcomes "done"/"refused" follow its answer; an optional "timeout" outcome is taken when no answer comes by the step's deadline (without it, the dossier stops).
 */
endpoint?: string
outcomes: Outcomes
}
export interface ParallelStep {
/**
 * Mã bước: unique in the whole definition, branches included.
 */
id: string
/**
 * Run branches at once; go on when all have ended.
 */
kind: "parallel"
/**
 * Tên bước, shown to officers and in the diagram.
 */
name?: string
deadline?: Duration
/**
 * Id of the following step in the same list; absent: the branch (or the process) ends here.
 */
next?: string
/**
 * @minItems 2
 */
branches: [{
steps: Steps
}, {
steps: Steps
}, ...({
steps: Steps
})[]]
}
export interface DecisionStep {
/**
 * Mã bước: unique in the whole definition, branches included.
 */
id: string
/**
 * Choose the next step from the dossier's data.
 */
kind: "decision"
/**
 * Tên bước, shown to officers and in the diagram.
 */
name?: string
deadline?: Duration
/**
 * @minItems 1
 */
cases: [{
/**
 * JSON Logic over {application, steps}.
 */
when: {

}
next: string
}, ...({
/**
 * JSON Logic over {application, steps}.
 */
when: {

}
next: string
})[]]
otherwise: string
}
export interface WaitStep {
/**
 * Mã bước: unique in the whole definition, branches included.
 */
id: string
/**
 * Wait, e.g. a public posting period.
 */
kind: "wait"
/**
 * Tên bước, shown to officers and in the diagram.
 */
name?: string
deadline?: Duration
/**
 * Id of the following step in the same list; absent: the branch (or the process) ends here.
 */
next?: string
duration: Duration
/**
 * true when the law does not count this period in the processing time (e.g. public posting for land): the legal clock stops and the appointment date moves by the waited working time. Only on a top-level wait.
 */
pausesClock?: boolean
}
export interface NotifyStep {
/**
 * Mã bước: unique in the whole definition, branches included.
 */
id: string
/**
 * Send a notification.
 */
kind: "notify"
/**
 * Tên bước, shown to officers and in the diagram.
 */
name?: string
deadline?: Duration
/**
 * Id of the following step in the same list; absent: the branch (or the process) ends here.
 */
next?: string
template: string
to: ("applicant" | Assignee)
/**
 * @minItems 1
 */
channels: [("email" | "sms" | "in-app"), ...(("email" | "sms" | "in-app"))[]]
}
export interface ReturnStep {
/**
 * Mã bước: unique in the whole definition, branches included.
 */
id: string
/**
 * Trả kết quả: status 9, deliver, status 10.
 */
kind: "return"
/**
 * Tên bước, shown to officers and in the diagram.
 */
name?: string
deadline?: Duration
/**
 * Id of the following step in the same list; absent: the branch (or the process) ends here.
 */
next?: string
channels?: ("electronic" | "counter" | "postal")[]
}
