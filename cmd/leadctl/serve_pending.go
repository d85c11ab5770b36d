//go:build !leadctl_store

package main

import (
	"context"
	"fmt"
)

// TODO(storeopen): replaced by serve.go once internal/store/storeopen lands.
func runServe(_ context.Context, e env, _ *conn, _ []string) int {
	fmt.Fprintln(e.stderr, "leadctl serve is not available in this build")
	return exitError
}
