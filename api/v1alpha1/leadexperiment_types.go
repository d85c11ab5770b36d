package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ExperimentMetric is what an experiment compares between its arms. The definitions are those of
// the TeamGoal metrics of the same name, counted per arm over the leads the experiment took in.
// +kubebuilder:validation:Enum=AcceptanceRate;ConversionRate;RevenuePerLead;TimeToFirstTouch;SLACompliance
type ExperimentMetric string

const (
	// ExperimentAcceptanceRate is the share of the arm's routed leads that sales accepted.
	ExperimentAcceptanceRate ExperimentMetric = "AcceptanceRate"
	// ExperimentConversionRate is the share of the arm's routed leads that were won.
	ExperimentConversionRate ExperimentMetric = "ConversionRate"
	// ExperimentRevenuePerLead is the revenue won per routed lead of the arm (leads not won count 0).
	ExperimentRevenuePerLead ExperimentMetric = "RevenuePerLead"
	// ExperimentTimeToFirstTouch is the time from routing to first touch of the arm's leads; lower is
	// better.
	ExperimentTimeToFirstTouch ExperimentMetric = "TimeToFirstTouch"
	// ExperimentSLACompliance is the share of the arm's handoffs that met their SLA.
	ExperimentSLACompliance ExperimentMetric = "SLACompliance"
)

// ExperimentAssignmentStrategy decides which policy arm governs a lead in the experiment's scope.
// +kubebuilder:validation:Enum=Split;Alternate
type ExperimentAssignmentStrategy string

const (
	// AssignmentSplit sends each lead to an arm by a stable hash of its id and the experiment's name,
	// in proportion to the arms' weights: a lead's arm never changes on a retry or a restart.
	AssignmentSplit ExperimentAssignmentStrategy = "Split"
	// AssignmentAlternate runs one arm at a time, switching every period in the arms' order, with
	// period boundaries at local midnight-aligned instants of the timezone.
	AssignmentAlternate ExperimentAssignmentStrategy = "Alternate"
)

// ExperimentArm is one concept under test: either a policy arm (policyRef: the LeadPolicy that governs
// the leads assigned to this arm) or an observational arm (filter: which leads belong to it, for
// concepts the router does not decide, such as two campaigns).
// +kubebuilder:validation:XValidation:rule="has(self.policyRef) != has(self.filter)",message="set exactly one of policyRef (a policy arm) or filter (an observational arm)"
type ExperimentArm struct {
	// Name of the arm, recorded on each lead it takes in. The first arm is the control.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// PolicyRef names the LeadPolicy (same namespace) that governs the leads of this arm.
	// +optional
	PolicyRef *PolicyReference `json:"policyRef,omitempty"`

	// Filter is a CEL expression over `lead` selecting the leads of an observational arm, for example
	// `lead.campaign == 'spring-concept-a'`.
	// +optional
	Filter Expression `json:"filter,omitempty"`

	// Weight is the arm's share of leads under Split assignment, relative to the other arms.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=1
	// +optional
	Weight *int32 `json:"weight,omitempty"`
}

// PolicyReference names a LeadPolicy in the same namespace.
type PolicyReference struct {
	// Name of the LeadPolicy.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Name string `json:"name"`
}

// ExperimentAssignment decides how policy arms share the leads in scope.
// +kubebuilder:validation:XValidation:rule="self.strategy == 'Alternate' ? has(self.period) : !has(self.period)",message="period is required with Alternate and not allowed with Split"
type ExperimentAssignment struct {
	// Strategy is Split (weights) or Alternate (one arm at a time).
	// +kubebuilder:default=Split
	// +optional
	Strategy ExperimentAssignmentStrategy `json:"strategy,omitempty"`

	// Period is how long each arm runs at a time under Alternate, for example "168h".
	// +optional
	Period Duration `json:"period,omitempty"`

	// Timezone (IANA name) in which Alternate periods are counted, so a switch falls at the same local
	// time across daylight-saving changes. Defaults to the timezone of the first policy arm's team, else
	// UTC.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Timezone string `json:"timezone,omitempty"`
}

// LeadExperimentSpec declares a comparison of two or more handoff concepts.
// +kubebuilder:validation:XValidation:rule="!(has(self.end) && has(self.duration))",message="set at most one of end or duration"
// +kubebuilder:validation:XValidation:rule="self.arms.all(a, has(a.policyRef)) || self.arms.all(a, has(a.filter))",message="arms must be all policy arms or all observational arms"
// +kubebuilder:validation:XValidation:rule="self.arms.all(a, self.arms.exists_one(b, b.name == a.name))",message="arm names must be unique"
// +kubebuilder:validation:XValidation:rule="self.arms.exists(a, !has(a.weight) || a.weight > 0)",message="at least one arm needs a weight above zero"
type LeadExperimentSpec struct {
	// Arms under comparison; the first is the control the others are measured against.
	// +kubebuilder:validation:MinItems=2
	// +kubebuilder:validation:MaxItems=8
	// +listType=atomic
	Arms []ExperimentArm `json:"arms"`

	// Assignment of leads to policy arms (ignored for observational arms).
	// +optional
	Assignment ExperimentAssignment `json:"assignment,omitempty"`

	// Metric is the primary metric the verdict is about.
	Metric ExperimentMetric `json:"metric"`

	// SecondaryMetrics are reported per arm too, without a verdict.
	// +kubebuilder:validation:MaxItems=4
	// +listType=set
	// +optional
	SecondaryMetrics []ExperimentMetric `json:"secondaryMetrics,omitempty"`

	// MinLeadsPerArm is how many leads every arm must have before a verdict is given.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	// +kubebuilder:default=100
	// +optional
	MinLeadsPerArm int32 `json:"minLeadsPerArm,omitempty"`

	// Confidence level of the intervals and the test, in percent: "80" to "99.9".
	// +kubebuilder:validation:Pattern=`^(8[0-9]|9[0-9])(\.[0-9])?$`
	// +kubebuilder:default="95"
	// +optional
	Confidence string `json:"confidence,omitempty"`

	// Start is when the experiment begins taking leads in; defaults to its creation.
	// +optional
	Start *metav1.Time `json:"start,omitempty"`

	// End is when it stops taking leads in. Set end or duration (or neither: it runs until deleted or
	// until end is set).
	// +optional
	End *metav1.Time `json:"end,omitempty"`

	// Duration from start after which it stops taking leads in, for example "336h".
	// +optional
	Duration Duration `json:"duration,omitempty"`
}

// ExperimentArmStatus is one arm's figures for the primary metric.
type ExperimentArmStatus struct {
	// Name of the arm.
	Name string `json:"name"`
	// Leads the arm took in.
	Leads int64 `json:"leads"`
	// Events counted for a rate metric (accepted, won or compliant handoffs).
	// +optional
	Events int64 `json:"events,omitempty"`
	// Value of the primary metric: a percentage for rates, an amount for RevenuePerLead, a duration for
	// TimeToFirstTouch.
	// +optional
	Value string `json:"value,omitempty"`
	// Interval is the confidence interval of Value, "low..high".
	// +optional
	Interval string `json:"interval,omitempty"`
	// Lift over the control arm, in percent ("+12.5%"); empty for the control.
	// +optional
	Lift string `json:"lift,omitempty"`
	// PValue of the test against the control, adjusted for multiple comparisons.
	// +optional
	PValue string `json:"pValue,omitempty"`
}

// LeadExperimentStatus is where the experiment stands.
type LeadExperimentStatus struct {
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Phase is Pending (before start), Running or Ended.
	// +optional
	Phase string `json:"phase,omitempty"`
	// ActiveArm is the arm taking leads in now under Alternate assignment.
	// +optional
	ActiveArm string `json:"activeArm,omitempty"`
	// Arms holds each arm's figures, in spec order.
	// +listType=map
	// +listMapKey=name
	// +optional
	Arms []ExperimentArmStatus `json:"arms,omitempty"`
	// Summary is the arms and the leads each took in, e.g. "control=120 b=118".
	// +optional
	Summary string `json:"summary,omitempty"`
	// MetricSummary is the primary metric per arm, e.g. "31.0% / 38.5%".
	// +optional
	MetricSummary string `json:"metricSummary,omitempty"`
	// Lift of the best non-control arm over the control.
	// +optional
	Lift string `json:"lift,omitempty"`
	// Confidence that the best arm differs from the control (1 - adjusted p), in percent.
	// +optional
	Confidence string `json:"confidence,omitempty"`
	// Winner is the arm the verdict names, when Concluded is True with reason Winner.
	// +optional
	Winner string `json:"winner,omitempty"`
	// AdditionalLeadsNeeded estimates how many more leads per arm the test needs to detect the observed
	// difference at the declared confidence with 80% power.
	// +optional
	AdditionalLeadsNeeded *int64 `json:"additionalLeadsNeeded,omitempty"`
	// LastEvaluatedTime is when the figures were last computed from the lead store.
	// +optional
	LastEvaluatedTime *metav1.Time `json:"lastEvaluatedTime,omitempty"`
	// Conditions: Ready, and Concluded whose reason (Winner, NoSignificantDifference,
	// InsufficientData, Running) gives the verdict.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// LeadExperiment compares two or more handoff concepts on live leads and reports a statistical verdict.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=lx,categories=leadops
// +kubebuilder:printcolumn:name="Arms",type=string,JSONPath=`.status.summary`,description="Each arm and the leads it took in"
// +kubebuilder:printcolumn:name="Metric",type=string,JSONPath=`.spec.metric`
// +kubebuilder:printcolumn:name="Per-Arm",type=string,JSONPath=`.status.metricSummary`,description="The primary metric of each arm"
// +kubebuilder:printcolumn:name="Lift",type=string,JSONPath=`.status.lift`
// +kubebuilder:printcolumn:name="Confidence",type=string,JSONPath=`.status.confidence`
// +kubebuilder:printcolumn:name="Verdict",type=string,JSONPath=`.status.conditions[?(@.type=="Concluded")].reason`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type LeadExperiment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   LeadExperimentSpec   `json:"spec,omitempty"`
	Status LeadExperimentStatus `json:"status,omitempty"`
}

// LeadExperimentList is a list of LeadExperiments.
// +kubebuilder:object:root=true
type LeadExperimentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LeadExperiment `json:"items"`
}

func init() {
	SchemeBuilder.Register(&LeadExperiment{}, &LeadExperimentList{})
}
