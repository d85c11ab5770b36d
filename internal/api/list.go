package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

var listParams = []string{"owner", "team", "policy", "stage", "limit", "cursor"}

// listLeads serves a rep's or a team's queue: GET /v1/leads?owner=&team=&policy=&stage=&limit=&cursor=.
// stage may repeat or be comma-separated. Unknown parameters are refused like unknown JSON fields: a
// misspelled filter would otherwise silently return everybody's leads.
func (s *Server) listLeads(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var errs validate.Errors
	for k := range q {
		if !slices.Contains(listParams, k) {
			errs = append(errs, validate.FieldError{Path: k, Message: "is not a known query parameter (known: " + strings.Join(listParams, ", ") + ")"})
		}
	}
	for _, k := range []string{"owner", "team", "policy", "limit", "cursor"} {
		if len(q[k]) > 1 {
			errs = append(errs, validate.FieldError{Path: k, Message: "may be given only once"})
		}
	}
	f := store.ListFilter{Owner: q.Get("owner"), Team: q.Get("team"), Policy: q.Get("policy"),
		Cursor: q.Get("cursor"), Limit: DefaultPageSize}
	for _, v := range q["stage"] {
		for _, st := range strings.Split(v, ",") {
			if !slices.Contains(lead.Stages, lead.Stage(st)) {
				errs = append(errs, validate.FieldError{Path: "stage", Message: fmt.Sprintf("%q is not a stage (one of %s)", st, stageList())})
				continue
			}
			f.Stages = append(f.Stages, lead.Stage(st))
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			errs = append(errs, validate.FieldError{Path: "limit", Message: fmt.Sprintf("must be a whole number from 1 to %d", MaxPageSize)})
		}
		f.Limit = n
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b validate.FieldError) int { return strings.Compare(a.Path, b.Path) })
		return badRequest("the query is not valid: "+errs.Error(), errs...)
	}
	page, err := s.store.ListLeads(r.Context(), f)
	if err != nil {
		return err
	}
	if page.Leads == nil {
		page.Leads = []*lead.Lead{}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func stageList() string {
	names := make([]string, len(lead.Stages))
	for i, s := range lead.Stages {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
