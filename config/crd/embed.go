// Package crd embeds the CustomResourceDefinitions that `make manifests` generates into bases/, so that
// tools such as `leadctl validate` apply exactly the schemas a cluster serves, without a cluster.
package crd

import "embed"

// Bases holds bases/*.yaml, one CustomResourceDefinition per file.
//
//go:embed bases/*.yaml
var Bases embed.FS
