package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GoalMetric is what a goal measures, counted over the leads of the goal's team in the period.
// +kubebuilder:validation:Enum=NewLeads;MQLs;Accepted;SQLs;WonDeals;Revenue;ConversionRate;SLACompliance;TimeToFirstTouch
type GoalMetric string

const (
	// MetricNewLeads counts leads created in the period.
	MetricNewLeads GoalMetric = "NewLeads"
	// MetricMQLs counts leads that passed qualification in the period.
	MetricMQLs GoalMetric = "MQLs"
	// MetricAccepted counts leads sales accepted in the period.
	MetricAccepted GoalMetric = "Accepted"
	// MetricSQLs counts sales-qualified leads (accepted, then won or still open) in the period.
	MetricSQLs GoalMetric = "SQLs"
	// MetricWonDeals counts leads won in the period.
	MetricWonDeals GoalMetric = "WonDeals"
	// MetricRevenue sums the amounts of leads won in the period.
	MetricRevenue GoalMetric = "Revenue"
	// MetricConversionRate is won leads as a percentage of leads routed in the period.
	MetricConversionRate GoalMetric = "ConversionRate"
	// MetricSLACompliance is the percentage of handoffs in the period that met their SLA.
	MetricSLACompliance GoalMetric = "SLACompliance"
	// MetricTimeToFirstTouch is the median time from routing to first touch in the period; lower is
	// better.
	MetricTimeToFirstTouch GoalMetric = "TimeToFirstTouch"
)

// TeamGoalSpec is a SMART goal: a team, a metric, a period and a target.
// +kubebuilder:validation:XValidation:rule="self.metric == 'TimeToFirstTouch' ? !has(self.target.value) : !has(self.target.duration)",message="TimeToFirstTouch takes a target.duration (or growthPercent); every other metric takes a target.value (or growthPercent)"
type TeamGoalSpec struct {
	// TeamRef is the team the goal belongs to; its timezone frames the period.
	TeamRef TeamReference `json:"teamRef"`

	// Metric measured.
	Metric GoalMetric `json:"metric"`

	// Filter narrows the leads counted, for example `lead.source == 'webinar'`.
	// +optional
	Filter Expression `json:"filter,omitempty"`

	// Period the goal covers.
	Period GoalPeriod `json:"period"`

	// Target to reach.
	Target GoalTarget `json:"target"`

	// AtRiskTolerancePercent is how far the projection may fall below the target before the goal is
	// AtRisk.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=10
	// +optional
	AtRiskTolerancePercent *int32 `json:"atRiskTolerancePercent,omitempty"`
}

// GoalPeriod is exactly one of a calendar quarter, a calendar month or an explicit date range, read in
// the team's timezone.
// +kubebuilder:validation:XValidation:rule="[has(self.quarter), has(self.month), has(self.range)].filter(x, x).size() == 1",message="set exactly one of period.quarter, period.month or period.range"
type GoalPeriod struct {
	// Quarter such as "2027-Q1".
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-Q[1-4]$`
	// +optional
	Quarter string `json:"quarter,omitempty"`
	// Month such as "2027-01".
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-(0[1-9]|1[0-2])$`
	// +optional
	Month string `json:"month,omitempty"`
	// Range of whole days, both ends included.
	// +optional
	Range *DateRange `json:"range,omitempty"`
}

// DateRange is an inclusive range of calendar days.
// +kubebuilder:validation:XValidation:rule="self.start <= self.end",message="range.start must not be after range.end"
type DateRange struct {
	// Start is the first day, "YYYY-MM-DD".
	Start Date `json:"start"`
	// End is the last day, "YYYY-MM-DD".
	End Date `json:"end"`
}

// GoalTarget is exactly one of an absolute value, a duration (for TimeToFirstTouch) or growth over the
// previous period of the same length.
// +kubebuilder:validation:XValidation:rule="[has(self.value), has(self.duration), has(self.growthPercent)].filter(x, x).size() == 1",message="set exactly one of target.value, target.duration or target.growthPercent"
type GoalTarget struct {
	// Value is an absolute target: a count, an amount of revenue, or a percentage for ConversionRate
	// and SLACompliance (for example 30000 or "92.5").
	// +optional
	Value *resource.Quantity `json:"value,omitempty"`
	// Duration is the target for TimeToFirstTouch, for example "30m".
	// +optional
	Duration Duration `json:"duration,omitempty"`
	// GrowthPercent is a target relative to the previous period's actual value: 10 means "10% more than
	// last period", -20 means "20% less" (useful for TimeToFirstTouch).
	// +kubebuilder:validation:Minimum=-100
	// +kubebuilder:validation:Maximum=10000
	// +optional
	GrowthPercent *int32 `json:"growthPercent,omitempty"`
}

// TeamGoalStatus is where the goal stands.
type TeamGoalStatus struct {
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// PeriodStart is the first instant of the period in the team's timezone.
	// +optional
	PeriodStart *metav1.Time `json:"periodStart,omitempty"`
	// PeriodEnd is the first instant after the period.
	// +optional
	PeriodEnd *metav1.Time `json:"periodEnd,omitempty"`
	// Current is the metric's value so far in the period.
	// +optional
	Current string `json:"current,omitempty"`
	// Target is the resolved target (a growth target resolved against the previous period).
	// +optional
	Target string `json:"target,omitempty"`
	// Baseline is the previous period's value a growth target was resolved from.
	// +optional
	Baseline string `json:"baseline,omitempty"`
	// Progress is Current as a share of Target, for example "45%".
	// +optional
	Progress string `json:"progress,omitempty"`
	// ExpectedProgress is the share of the period elapsed: where a goal on a straight-line pace would be.
	// +optional
	ExpectedProgress string `json:"expectedProgress,omitempty"`
	// Projection is the value the metric reaches by the period's end at the current pace.
	// +optional
	Projection string `json:"projection,omitempty"`
	// LastComputedTime is when Current was last computed from the lead store.
	// +optional
	LastComputedTime *metav1.Time `json:"lastComputedTime,omitempty"`
	// Conditions: Ready, and OnTrack whose reason (Achieved, OnTrack, AtRisk, Missed, NotStarted) says
	// where the goal stands.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// TeamGoal is a SMART goal for a team, tracked from the lead store.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tg;goal,categories=leadops
// +kubebuilder:printcolumn:name="Team",type=string,JSONPath=`.spec.teamRef.name`
// +kubebuilder:printcolumn:name="Metric",type=string,JSONPath=`.spec.metric`
// +kubebuilder:printcolumn:name="Target",type=string,JSONPath=`.status.target`
// +kubebuilder:printcolumn:name="Current",type=string,JSONPath=`.status.current`
// +kubebuilder:printcolumn:name="Progress",type=string,JSONPath=`.status.progress`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="OnTrack")].reason`
// +kubebuilder:printcolumn:name="Expected",type=string,JSONPath=`.status.expectedProgress`,priority=1
// +kubebuilder:printcolumn:name="Projection",type=string,JSONPath=`.status.projection`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TeamGoal struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TeamGoalSpec   `json:"spec,omitempty"`
	Status TeamGoalStatus `json:"status,omitempty"`
}

// TeamGoalList is a list of TeamGoals.
// +kubebuilder:object:root=true
type TeamGoalList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TeamGoal `json:"items"`
}

func init() {
	SchemeBuilder.Register(&TeamGoal{}, &TeamGoalList{})
}
