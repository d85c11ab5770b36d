package api

// transitionError matches the store's refusal of an illegal lifecycle transition.
// TODO(lifecycle): switch to *lead.TransitionError once internal/lead/lifecycle.go lands.
type transitionError interface {
	error
	placeholderNeverMatches()
}
