package main

import (
	"flag"
	"time"

	"github.com/leadops/leadops/internal/api"
)

// The HTTP API's overload limits (internal/api/overload.go, docs/operating.md "Load and overload").
var apiOverload struct {
	maxInFlight  int
	maxQueueWait time.Duration
}

func init() {
	flag.IntVar(&apiOverload.maxInFlight, "api-max-inflight", api.DefaultMaxInFlight,
		"Write requests (POST, PUT) the HTTP API serves at once; more wait up to --api-max-queue-wait for a slot, then get 503 with Retry-After. Bounds the API's memory to about this many request bodies (--api-max-inflight × 4 MiB at worst).")
	flag.DurationVar(&apiOverload.maxQueueWait, "api-max-queue-wait", api.DefaultMaxQueueWait,
		"How long a write request over --api-max-inflight waits for a slot before the API answers 503 with Retry-After.")
}

// withAPIOverload adds the overload limits of the flags to the API's options.
func withAPIOverload(o api.Options) api.Options {
	o.MaxInFlight, o.MaxQueueWait = apiOverload.maxInFlight, apiOverload.maxQueueWait
	return o
}
