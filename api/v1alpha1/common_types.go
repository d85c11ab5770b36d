package v1alpha1

// TeamReference names a Team in the same namespace.
type TeamReference struct {
	// Name of the Team, in the same namespace as the referring object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Name string `json:"name"`
}

// Expression is a CEL expression over the lead, for example `lead.score >= 60 && lead.country in ['DE', 'FR']`.
// The variable `lead` has the fields id, externalId, email, company, domain, country, industry, employees,
// source, campaign, score, stage, owner, team, amount, createdAt and attributes (a map of the custom fields
// the marketing tool sent). Helpers: the CEL strings, lists and sets extensions, emailDomain(s) and
// s.domainOf(). It must evaluate to a bool; the controller reports compile errors as Ready=False with
// reason InvalidExpression.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=4096
type Expression string
