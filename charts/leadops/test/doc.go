// Package test renders the Helm chart charts/leadops with the Helm SDK and checks it: its defaults
// render the same objects as `kubectl apply -k config/default` (and its PostgreSQL and monitoring
// values those of config/postgres and config/prometheus), its CRDs, RBAC rules and alerts are the
// generated ones, its variants render valid objects, values.schema.json refuses bad values, and
// docs/helm.md documents every value.
//
// It is a Go module of its own so that Helm's dependencies stay out of the manager's module;
// `make test` runs it with `cd charts/leadops/test && go test ./...`.
package test
