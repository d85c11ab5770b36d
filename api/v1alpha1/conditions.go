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
	// ConditionOverCapacity is True on a Team that receives more leads than it closes out.
	ConditionOverCapacity = "OverCapacity"
	// ConditionOnTrack says where a TeamGoal stands; its reason is Achieved, OnTrack, AtRisk, Missed or
	// NotStarted.
	ConditionOnTrack = "OnTrack"
)

// Condition reasons (CamelCase, stable: alerting and GitOps health checks match on them).
const (
	ReasonReconciled        = "Reconciled"
	ReasonInvalidExpression = "InvalidExpression"
	ReasonTeamNotFound      = "TeamNotFound"
	ReasonInvalidTimezone   = "InvalidTimezone"
	ReasonInvalidSpec       = "InvalidSpec"
	ReasonProgressing       = "Progressing"
)
