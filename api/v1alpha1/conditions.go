package v1alpha1

// Condition types. Ready is the summary every kind carries (kstatus reads it); the others describe the
// business state and never make a working object un-Ready.
const (
	// ConditionReady is True when the controller can apply the object as written.
	ConditionReady = "Ready"
	// ConditionSLABreached is True while any handoff governed by a LeadPolicy is overdue, and for
	// spec.sla.breachConditionWindow after a breach is recorded (reason RecentlyBreached).
	ConditionSLABreached = "SLABreached"
	// ConditionSLAAtRisk is True while any handoff is past its warning time but not yet overdue.
	ConditionSLAAtRisk = "SLAAtRisk"
	// ConditionCapacityExceeded is True while leads wait because every member of a target team is full.
	ConditionCapacityExceeded = "CapacityExceeded"
	// ConditionExpressionErrors is True on a LeadPolicy one of whose expressions failed on a lead under
	// its current generation (a runtime error or the cost limit): the message names the field path,
	// the count and the last error. It makes Ready False, since the policy cannot be applied reliably;
	// it clears when the policy changes, or after a controller restart until an expression fails again.
	ConditionExpressionErrors = "ExpressionErrors"
	// ConditionDataQualityLow is True on a LeadPolicy with spec.dataQuality while a source's share of
	// the policy's leads missing a checked field (or duplicates) is over maxMissingPercent; a warning
	// (reason MissingFields), not a failure: the policy still routes.
	ConditionDataQualityLow = "DataQualityLow"
	// ConditionCRMWriteBack is on a LeadPolicy whose routed leads come from a CRM connection with
	// writeBack.enabled: True (WriteBackHealthy) while their owners reach the CRM; False with
	// WriteBackFailing (the CRM refuses the batch or records, counts and CRM codes in the message) or
	// WriteBackLagging (the oldest unwritten owner change is over 5 minutes old). A warning: Ready
	// does not change with it. Absent on policies whose leads belong to no such connection.
	ConditionCRMWriteBack = "CRMWriteBack"
	// ConditionOverCapacity is True on a Team that receives more leads than it closes out.
	ConditionOverCapacity = "OverCapacity"
	// ConditionOnTrack says where a TeamGoal stands; its reason is Achieved, OnTrack, AtRisk, Missed or
	// NotStarted.
	ConditionOnTrack = "OnTrack"
	// ConditionConcluded says where a LeadExperiment's verdict stands: True once it has ended, with
	// reason Winner, NoSignificantDifference or InsufficientData; False while it runs (reason Running,
	// or InsufficientData while an arm is short of minLeadsPerArm) or has not started (Pending).
	ConditionConcluded = "Concluded"
)

// Condition reasons (CamelCase, stable: alerting and GitOps health checks match on them).
const (
	ReasonReconciled        = "Reconciled"
	ReasonInvalidExpression = "InvalidExpression"
	ReasonTeamNotFound      = "TeamNotFound"
	ReasonInvalidTimezone   = "InvalidTimezone"
	ReasonInvalidSpec       = "InvalidSpec"
	ReasonProgressing       = "Progressing"
	// ReasonExpressionErrors is Ready's reason while ExpressionErrors is True; ExpressionErrors itself
	// says EvaluationFailed, or NoErrors.
	ReasonExpressionErrors = "ExpressionErrors"
	ReasonEvaluationFailed = "EvaluationFailed"
	ReasonNoErrors         = "NoErrors"
	// DataQualityLow reasons.
	ReasonMissingFields = "MissingFields"
	ReasonDataQualityOK = "WithinThreshold"
	// LeadExperiment Ready reasons.
	ReasonPolicyNotFound = "PolicyNotFound"
	ReasonInvalidWeights = "InvalidWeights"
	ReasonScopeMismatch  = "ScopeMismatch"
	ReasonOverlapping    = "Overlapping"
	// LeadExperiment Concluded reasons.
	ReasonWinner                  = "Winner"
	ReasonNoSignificantDifference = "NoSignificantDifference"
	ReasonInsufficientData        = "InsufficientData"
	ReasonRunning                 = "Running"
	ReasonPending                 = "Pending"
	// CRMWriteBack reasons.
	ReasonWriteBackHealthy = "WriteBackHealthy"
	ReasonWriteBackFailing = "WriteBackFailing"
	ReasonWriteBackLagging = "WriteBackLagging"
)
