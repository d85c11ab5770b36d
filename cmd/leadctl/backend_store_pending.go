//go:build !leadctl_store

package main

import (
	"context"
	"errors"
)

// TODO(storeopen): replaced by backend_store.go once internal/store/storeopen lands.
func openStoreBackend(context.Context, string, string) (backend, error) {
	return nil, errors.New("--store is not available in this build")
}
