package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TeamFunction is the part of the revenue funnel a team works.
// +kubebuilder:validation:Enum=Marketing;SDR;Sales
type TeamFunction string

const (
	TeamFunctionMarketing TeamFunction = "Marketing"
	TeamFunctionSDR       TeamFunction = "SDR"
	TeamFunctionSales     TeamFunction = "Sales"
)

// Weekday is a day of the week in English, as Go's time package names it.
// +kubebuilder:validation:Enum=Monday;Tuesday;Wednesday;Thursday;Friday;Saturday;Sunday
type Weekday string

// TimeOfDay is a wall-clock time in the team's timezone, "HH:MM" on a 24-hour clock ("24:00" ends a day).
// +kubebuilder:validation:Pattern=`^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$`
type TimeOfDay string

// Date is a calendar date, "YYYY-MM-DD".
// +kubebuilder:validation:Format=date
type Date string

// TeamSpec declares who is on a team, how much each member can take, and when the team works.
type TeamSpec struct {
	// Function is the team's place in the funnel: Marketing generates and qualifies leads, SDR teams
	// make the first contact, Sales teams accept and close.
	Function TeamFunction `json:"function"`

	// Description says what the team does, for people reading `kubectl describe`.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Description string `json:"description,omitempty"`

	// Timezone is the IANA name of the timezone the team works in, for example "Europe/Berlin". Working
	// hours, holidays, business-hours SLAs and goal periods are read in it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:default="UTC"
	Timezone string `json:"timezone,omitempty"`

	// WorkingHours are the weekly hours during which business-hours SLA clocks run. Empty means
	// Monday to Friday, 09:00 to 17:00.
	// +kubebuilder:validation:MaxItems=21
	// +optional
	WorkingHours []WorkingHours `json:"workingHours,omitempty"`

	// Holidays are dates on which business-hours SLA clocks stop for the whole team.
	// +listType=map
	// +listMapKey=date
	// +kubebuilder:validation:MaxItems=366
	// +optional
	Holidays []Holiday `json:"holidays,omitempty"`

	// Manager is the identifier (as used for lead owners) of the person handoffs escalate to when
	// reassignment is exhausted. It need not be a member.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Manager string `json:"manager,omitempty"`

	// Members are the people leads are routed to. Names are unique within the team.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=500
	// +optional
	Members []TeamMember `json:"members,omitempty"`
}

// WorkingHours is one block of working time on some days of the week.
// +kubebuilder:validation:XValidation:rule="self.start < self.end",message="working hours must start before they end"
type WorkingHours struct {
	// Days this block applies to.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=7
	// +listType=set
	Days []Weekday `json:"days"`
	// Start of the block, "HH:MM" in the team's timezone.
	Start TimeOfDay `json:"start"`
	// End of the block, "HH:MM" in the team's timezone, after Start.
	End TimeOfDay `json:"end"`
}

// Holiday is a day off for the whole team.
type Holiday struct {
	// Date of the holiday, "YYYY-MM-DD" in the team's timezone.
	Date Date `json:"date"`
	// Name of the holiday, for people.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Name string `json:"name,omitempty"`
}

// TeamMember is one person leads can be routed to.
// +kubebuilder:validation:XValidation:rule="!has(self.outOfOffice) || self.outOfOffice.all(p, timestamp(p.start) < timestamp(p.end))",message="an out-of-office period must start before it ends"
type TeamMember struct {
	// Name identifies the member; it is the value stored as a lead's owner, so use the rep's CRM user
	// id or handle rather than an email address.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._-]*$`
	Name string `json:"name"`

	// Capacity is the most leads the member may have open at once; routing never goes beyond it.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	Capacity int32 `json:"capacity"`

	// Weight is the member's share under the Weighted strategy, relative to the other members.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=1
	// +optional
	Weight int32 `json:"weight,omitempty"`

	// Available is false while the member must receive no new leads at all (left the team, on leave).
	// +kubebuilder:default=true
	// +optional
	Available *bool `json:"available,omitempty"`

	// OutOfOffice periods during which the member receives no new leads.
	// +kubebuilder:validation:MaxItems=50
	// +optional
	OutOfOffice []OutOfOffice `json:"outOfOffice,omitempty"`

	// CRMUser is who the member is in the CRM, for writing a lead's owner back to it (see
	// docs/crm-writeback.md): a CRM user id (a HubSpot owner id, a Salesforce user id) or the user's
	// email, which the controller resolves once through the CRM's owners or users API. Unset, the
	// member's name is taken as the CRM user id.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._%+@-]*$`
	// +optional
	CRMUser string `json:"crmUser,omitempty"`
}

// OutOfOffice is a period a member is away.
type OutOfOffice struct {
	// Start of the absence (RFC 3339).
	// +kubebuilder:validation:Format=date-time
	Start string `json:"start"`
	// End of the absence (RFC 3339), after Start.
	// +kubebuilder:validation:Format=date-time
	End string `json:"end"`
}

// TeamStatus is what the controller observed about a team.
type TeamStatus struct {
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Members is the number of members.
	// +optional
	Members int32 `json:"members"`

	// AvailableMembers is the number of members who can receive leads now (available and not out of
	// office).
	// +optional
	AvailableMembers int32 `json:"availableMembers"`

	// Capacity is the sum of the available members' capacities.
	// +optional
	Capacity int32 `json:"capacity"`

	// OpenLeads is the number of leads the team's members hold open.
	// +optional
	OpenLeads *int32 `json:"openLeads,omitempty"`

	// Load is OpenLeads against Capacity, for example "12/40".
	// +optional
	Load string `json:"load,omitempty"`

	// Utilization is OpenLeads as a share of Capacity, for example "30%".
	// +optional
	Utilization string `json:"utilization,omitempty"`

	// Queued is the number of leads waiting for a member of this team to have room.
	// +optional
	Queued *int32 `json:"queued,omitempty"`

	// RoutedLast7Days counts leads routed or reassigned to the team over the last 7 days.
	// +optional
	RoutedLast7Days *int64 `json:"routedLast7Days,omitempty"`

	// ClosedOutLast7Days counts leads the team first touched over the last 7 days (every accept or
	// reject follows a touch); compare with RoutedLast7Days to see whether the team keeps up.
	// +optional
	ClosedOutLast7Days *int64 `json:"closedOutLast7Days,omitempty"`

	// Conditions: Ready, OverCapacity.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Team is a marketing, SDR or sales team: its members, their capacity, and the calendar its SLA clocks
// follow.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tm,categories=leadops
// +kubebuilder:printcolumn:name="Function",type=string,JSONPath=`.spec.function`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.members`
// +kubebuilder:printcolumn:name="Available",type=integer,JSONPath=`.status.availableMembers`
// +kubebuilder:printcolumn:name="Load",type=string,JSONPath=`.status.load`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Timezone",type=string,JSONPath=`.spec.timezone`,priority=1
// +kubebuilder:printcolumn:name="Utilization",type=string,JSONPath=`.status.utilization`,priority=1
// +kubebuilder:printcolumn:name="Queued",type=integer,JSONPath=`.status.queued`,priority=1
// +kubebuilder:printcolumn:name="Over-Capacity",type=string,JSONPath=`.status.conditions[?(@.type=="OverCapacity")].status`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Team struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TeamSpec   `json:"spec,omitempty"`
	Status TeamStatus `json:"status,omitempty"`
}

// TeamList is a list of Teams.
// +kubebuilder:object:root=true
type TeamList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Team `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Team{}, &TeamList{})
}
