package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RoutingStrategy chooses a member of the target team.
// +kubebuilder:validation:Enum=RoundRobin;Weighted;LeastLoaded;AccountOwner
type RoutingStrategy string

const (
	// StrategyRoundRobin hands leads to available members in turn.
	StrategyRoundRobin RoutingStrategy = "RoundRobin"
	// StrategyWeighted hands leads out in proportion to member weights.
	StrategyWeighted RoutingStrategy = "Weighted"
	// StrategyLeastLoaded picks the member with the most room left under their capacity.
	StrategyLeastLoaded RoutingStrategy = "LeastLoaded"
	// StrategyAccountOwner gives the lead to the owner of the account its domain matches, when that
	// owner is an available member with room; otherwise the next rule applies.
	StrategyAccountOwner RoutingStrategy = "AccountOwner"
)

// SLAClock says which hours count toward an SLA.
// +kubebuilder:validation:Enum=BusinessHours;WallClock
type SLAClock string

const (
	// ClockBusinessHours counts only the target team's working hours, skipping its holidays.
	ClockBusinessHours SLAClock = "BusinessHours"
	// ClockWallClock counts every hour.
	ClockWallClock SLAClock = "WallClock"
)

// Duration is a Go duration string such as "1h", "15m" or "24h".
// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
// +kubebuilder:validation:MaxLength=32
type Duration string

// LeadPolicySpec governs one segment of leads: which leads it covers, what they must meet before sales
// takes them, who gets them, and how fast they must be handled.
type LeadPolicySpec struct {
	// Selector picks the leads this policy governs. Empty selects every lead. When several policies
	// select a lead, the one with the highest priority governs it.
	// +optional
	Selector Expression `json:"selector,omitempty"`

	// Priority orders policies whose selectors overlap; higher wins. Ties go to the policy whose
	// namespace/name sorts first.
	// +kubebuilder:validation:Minimum=-1000
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=0
	// +optional
	Priority int32 `json:"priority,omitempty"`

	// Qualification is the gate marketing must meet before a lead is handed to sales. A lead failing it
	// is disqualified and returned to marketing with the gate's reason. Without it every selected lead
	// qualifies.
	// +optional
	Qualification *QualificationGate `json:"qualification,omitempty"`

	// Rules are tried in order; the first whose `when` matches and whose strategy finds a member routes
	// the lead. Rule names are unique.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	Rules []RoutingRule `json:"rules"`

	// SLA sets how fast a routed lead must be handled.
	// +optional
	SLA *HandoffSLA `json:"sla,omitempty"`

	// ComplianceWindow is the trailing window over which status.compliance is computed.
	// +kubebuilder:default="168h"
	// +optional
	ComplianceWindow Duration `json:"complianceWindow,omitempty"`

	// Duplicates says what routing does with a lead the store linked to an open lead with the same
	// email (the lead's duplicateOf; open means new, qualified, routed, touched or accepted when the
	// duplicate arrived). `Attach` (default): the duplicate is not routed; it stays linked to the
	// original and leaves the queue as disqualified with reason "duplicate of <id>" (marketing can
	// re-qualify it). `RouteToSameOwner`: routed to the original's owner when that owner is an
	// available member with room of the team of the rule the lead matches, else routed normally.
	// `Route`: routed like any lead (duplicate handling off). Each is recorded in the lead's audit
	// log; a lead that fails the qualification gate is disqualified as usual.
	// +kubebuilder:validation:Enum=Attach;RouteToSameOwner;Route
	// +kubebuilder:default=Attach
	// +optional
	Duplicates DuplicateHandling `json:"duplicates,omitempty"`

	// DataQuality makes the policy warn (condition DataQualityLow) when a source sends too many of the
	// policy's leads with a field missing, or too many duplicates. Absent: no check.
	// +optional
	DataQuality *DataQualityThreshold `json:"dataQuality,omitempty"`
}

// DataQualityThreshold is when a source's leads are incomplete enough to warn about.
type DataQualityThreshold struct {
	// MaxMissingPercent is the share of a source's leads (governed by this policy and created in the
	// window) that may miss any one of the fields (or be duplicates) before DataQualityLow turns True.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MaxMissingPercent int32 `json:"maxMissingPercent"`

	// Fields are the fields checked: email, company, country, employees (missing: empty, or 0
	// employees) and duplicates (leads linked to an open lead with the same email).
	// +kubebuilder:default={email,company,country,employees}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=5
	// +listType=set
	// +optional
	Fields []DataQualityField `json:"fields,omitempty"`

	// Window is the trailing window of lead creation times the shares are computed over.
	// +kubebuilder:default="168h"
	// +optional
	Window Duration `json:"window,omitempty"`

	// MinLeads is how many leads a source must have sent in the window before it is judged, so one
	// incomplete lead from a small source does not raise the condition.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +optional
	MinLeads int32 `json:"minLeads,omitempty"`
}

// DataQualityField is a lead field whose missing share is checked, or duplicates.
// +kubebuilder:validation:Enum=email;company;country;employees;duplicates
type DataQualityField string

// DuplicateHandling is what routing does with a duplicate lead.
type DuplicateHandling string

const (
	// DuplicatesAttach links the duplicate to the original and does not route it.
	DuplicatesAttach DuplicateHandling = "Attach"
	// DuplicatesRouteToSameOwner routes the duplicate to the original's owner when possible.
	DuplicatesRouteToSameOwner DuplicateHandling = "RouteToSameOwner"
	// DuplicatesRoute routes duplicates like any other lead.
	DuplicatesRoute DuplicateHandling = "Route"
)

// QualificationGate is the bar a lead must clear before it is handed off.
type QualificationGate struct {
	// Expression a lead must satisfy, for example `lead.score >= 60`.
	Expression Expression `json:"expression"`
	// Reason recorded on leads that fail the gate and sent back to marketing.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:default="did not meet the qualification gate"
	// +optional
	Reason string `json:"reason,omitempty"`
}

// RoutingRule sends matching leads to a team using a strategy.
type RoutingRule struct {
	// Name of the rule, unique in the policy; it appears in audit entries and metrics.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// When the rule applies. Empty matches every lead, which makes sense for a last, catch-all rule.
	// +optional
	When Expression `json:"when,omitempty"`
	// TeamRef is the team that receives the leads.
	TeamRef TeamReference `json:"teamRef"`
	// Strategy picks the member.
	// +kubebuilder:default=RoundRobin
	// +optional
	Strategy RoutingStrategy `json:"strategy,omitempty"`
}

// HandoffSLA sets the deadlines of a handoff and what happens when they pass.
// +kubebuilder:validation:XValidation:rule="has(self.firstTouch) || has(self.acceptance)",message="an SLA needs firstTouch, acceptance or both"
type HandoffSLA struct {
	// FirstTouch is the time within which the owner must first contact the lead (a touch activity).
	// +optional
	FirstTouch *SLATarget `json:"firstTouch,omitempty"`
	// Acceptance is the time within which the owner must accept or reject the lead.
	// +optional
	Acceptance *SLATarget `json:"acceptance,omitempty"`
	// OnBreach says what the controller does when a deadline passes.
	// +optional
	OnBreach *BreachAction `json:"onBreach,omitempty"`
	// BreachConditionWindow keeps the SLABreached condition True (reason RecentlyBreached) for this
	// long (wall-clock time) after a breach is recorded, even when nothing is overdue any more: a
	// reassignment gives the lead a fresh SLA at once, and a condition that is True for a second is
	// missed by scrapers, GitOps health checks and people watching kubectl. The condition turns False
	// exactly at the newest breach's recording time (status.lastBreachTime) plus the window. The
	// default matches the 15 minutes of the shipped LeadopsSLABreached alert; "0s" shows SLABreached
	// only while a handoff is overdue; at most 168h (a week), beyond which status.compliance is the
	// better signal.
	// +kubebuilder:default="15m"
	// +kubebuilder:validation:XValidation:rule="duration(self) <= duration('168h')",message="breachConditionWindow must be at most 168h"
	// +optional
	BreachConditionWindow Duration `json:"breachConditionWindow,omitempty"`
}

// SLATarget is one deadline.
// +kubebuilder:validation:XValidation:rule="!has(self.warnBefore) || duration(self.warnBefore) < duration(self.within)",message="warnBefore must be shorter than within: the warning has to come before the deadline"
// +kubebuilder:validation:XValidation:rule="duration(self.within) > duration('0s')",message="within must be longer than zero"
type SLATarget struct {
	// Within is the time allowed, counted from the moment the lead is routed (or reassigned).
	Within Duration `json:"within"`
	// WarnBefore raises SLAAtRisk this long before the deadline.
	// +optional
	WarnBefore Duration `json:"warnBefore,omitempty"`
	// Clock counts only the team's business hours (BusinessHours) or every hour (WallClock).
	// +kubebuilder:default=BusinessHours
	// +optional
	Clock SLAClock `json:"clock,omitempty"`
}

// BreachAction is the escalation path of an overdue handoff.
type BreachAction struct {
	// Reassign gives an overdue lead to another member of the team, chosen by the rule's strategy and
	// excluding previous owners; each reassignment starts a fresh SLA.
	// +optional
	Reassign bool `json:"reassign,omitempty"`
	// MaxReassignments caps reassignments per lead; after the last one the lead escalates to the team
	// manager (when EscalateToManager is set).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10
	// +kubebuilder:default=1
	// +optional
	MaxReassignments int32 `json:"maxReassignments,omitempty"`
	// EscalateToManager hands the lead to the team's manager once reassignment is exhausted or off.
	// +optional
	EscalateToManager bool `json:"escalateToManager,omitempty"`
	// WebhookSecretRef names a Secret in the policy's namespace whose key `url` is a webhook that
	// receives a JSON notice of every breach (lead id only, no personal data).
	// +optional
	WebhookSecretRef *SecretReference `json:"webhookSecretRef,omitempty"`
}

// SecretReference names a Secret in the same namespace.
type SecretReference struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// LeadPolicyStatus is what the controller observed about a policy and the leads it governs.
type LeadPolicyStatus struct {
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Routed is the number of leads this policy has routed.
	// +optional
	Routed int64 `json:"routed"`
	// Open is the number of routed leads not yet accepted, rejected or closed.
	// +optional
	Open int64 `json:"open"`
	// Queued is the number of leads waiting because every member of the target team is full.
	// +optional
	Queued int64 `json:"queued"`
	// Disqualified is the number of leads that failed the qualification gate.
	// +optional
	Disqualified int64 `json:"disqualified"`
	// Breached is the number of handoffs currently overdue.
	// +optional
	Breached int64 `json:"breached"`
	// Compliance is the share of handoffs in the compliance window that met their SLA, for example
	// "97.5%". Empty until a handoff has completed or breached in the window.
	// +optional
	Compliance string `json:"compliance,omitempty"`
	// MedianTimeToFirstTouch over the compliance window, for example "23m".
	// +optional
	MedianTimeToFirstTouch string `json:"medianTimeToFirstTouch,omitempty"`
	// LastRoutedTime is when this policy last routed a lead.
	// +optional
	LastRoutedTime *metav1.Time `json:"lastRoutedTime,omitempty"`
	// LastBreachTime is when the controller last recorded a breach of this policy's handoffs: the
	// newest lastBreachAt of its leads. It is the recording time, not the missed deadline, so it is
	// later than the deadline when the controller was down as the deadline passed.
	// +optional
	LastBreachTime *metav1.Time `json:"lastBreachTime,omitempty"`

	// Conditions: Ready, SLABreached, SLAAtRisk, CapacityExceeded, ExpressionErrors, DataQualityLow,
	// CRMWriteBack (only when its leads come from a CRM connection with write-back).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// LeadPolicy governs a segment of leads: qualification gate, routing rules and handoff SLAs.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=lp;lpol,categories=leadops
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Routed",type=integer,JSONPath=`.status.routed`
// +kubebuilder:printcolumn:name="Open",type=integer,JSONPath=`.status.open`
// +kubebuilder:printcolumn:name="Breached",type=integer,JSONPath=`.status.breached`
// +kubebuilder:printcolumn:name="Compliance",type=string,JSONPath=`.status.compliance`
// +kubebuilder:printcolumn:name="SLA",type=string,JSONPath=`.status.conditions[?(@.type=="SLABreached")].reason`,description="Reason of the SLABreached condition: WithinSLA, FirstTouchOverdue, AcceptanceOverdue or RecentlyBreached"
// +kubebuilder:printcolumn:name="Priority",type=integer,JSONPath=`.spec.priority`,priority=1
// +kubebuilder:printcolumn:name="Queued",type=integer,JSONPath=`.status.queued`,priority=1
// +kubebuilder:printcolumn:name="TTFT",type=string,JSONPath=`.status.medianTimeToFirstTouch`,priority=1,description="Median time to first touch"
// +kubebuilder:printcolumn:name="Last-Routed",type=date,JSONPath=`.status.lastRoutedTime`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type LeadPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   LeadPolicySpec   `json:"spec,omitempty"`
	Status LeadPolicyStatus `json:"status,omitempty"`
}

// LeadPolicyList is a list of LeadPolicies.
// +kubebuilder:object:root=true
type LeadPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LeadPolicy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&LeadPolicy{}, &LeadPolicyList{})
}
