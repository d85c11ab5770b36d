package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store"
)

var listParams = []string{"owner", "team", "policy", "namespace", "stage", "breached", "limit", "cursor"}

// DefaultNamespace qualifies a bare team or policy name when no namespace is given.
const DefaultNamespace = "default"

// listLeads serves a rep's or a team's queue:
// GET /v1/leads?owner=&team=&policy=&namespace=&stage=&breached=&limit=&cursor=.
// stage may repeat or be comma-separated. Unknown parameters are refused like unknown JSON fields: a
// misspelled filter would otherwise silently return everybody's leads.
func (s *Server) listLeads(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var errs fielderr.List
	for k := range q {
		if !slices.Contains(listParams, k) {
			errs = append(errs, fielderr.Error{Path: k, Message: "is not a known query parameter (known: " + strings.Join(listParams, ", ") + ")"})
		}
	}
	for _, k := range []string{"owner", "team", "policy", "namespace", "breached", "limit", "cursor"} {
		if len(q[k]) > 1 {
			errs = append(errs, fielderr.Error{Path: k, Message: "may be given only once"})
		}
	}
	f := store.ListFilter{Owner: q.Get("owner"), Cursor: q.Get("cursor"), Limit: DefaultPageSize}
	// Leads hold teams and policies as namespace/name; a bare name used to match nothing, silently.
	ns := q.Get("namespace")
	if q.Has("namespace") && q.Get("team") == "" && q.Get("policy") == "" {
		errs = append(errs, fielderr.Error{Path: "namespace", Message: "qualifies a bare team or policy name; give team or policy too"})
	}
	for _, p := range []struct {
		param string
		dst   *string
	}{{"team", &f.Team}, {"policy", &f.Policy}} {
		v := q.Get(p.param)
		if v == "" {
			continue
		}
		full, err := QualifyName(v, ns)
		if err != nil {
			errs = append(errs, fielderr.Error{Path: p.param, Message: err.Error()})
			continue
		}
		*p.dst = full
	}
	if v := q.Get("breached"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fielderr.Error{Path: "breached", Message: "must be true or false"})
		}
		f.Breached = b
	}
	for _, v := range q["stage"] {
		for _, st := range strings.Split(v, ",") {
			if !slices.Contains(lead.Stages, lead.Stage(st)) {
				errs = append(errs, fielderr.Error{Path: "stage", Message: fmt.Sprintf("%q is not a stage (one of %s)", st, stageList())})
				continue
			}
			f.Stages = append(f.Stages, lead.Stage(st))
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			errs = append(errs, fielderr.Error{Path: "limit", Message: fmt.Sprintf("must be a whole number from 1 to %d", MaxPageSize)})
		}
		f.Limit = n
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b fielderr.Error) int { return strings.Compare(a.Path, b.Path) })
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

// QualifyName turns a Team or LeadPolicy reference into the namespace/name form leads store: a bare
// name gets namespace (DefaultNamespace when empty); a namespace/name is kept, and must agree with
// namespace when both are given.
func QualifyName(ref, namespace string) (string, error) {
	ref, namespace = strings.TrimSpace(ref), strings.TrimSpace(namespace)
	ns, name, qualified := strings.Cut(ref, "/")
	switch {
	case !qualified:
		if namespace == "" {
			namespace = DefaultNamespace
		}
		return namespace + "/" + ref, nil
	case ns == "" || name == "" || strings.Contains(name, "/"):
		return "", fmt.Errorf("must be NAME or NAMESPACE/NAME")
	case namespace != "" && namespace != ns:
		return "", fmt.Errorf("names namespace %q, but namespace %q was given", ns, namespace)
	}
	return ref, nil
}
