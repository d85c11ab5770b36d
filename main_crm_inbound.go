package main

import (
	"context"
	"flag"
	"fmt"
	"sync"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/leadops/leadops/internal/api"
	"github.com/leadops/leadops/internal/crm"
)

// The CRM configuration is shared by inbound (here) and write-back (main_crm.go): this file owns the
// flag and loads the file once for both.
var crmConfigFile string

func init() {
	flag.StringVar(&crmConfigFile, "crm-config", envOr("LEADOPS_CRM_CONFIG", ""),
		"CRM connections file (YAML, see docs/crm.md), reloaded when it changes; empty: no CRM link.")
}

// crmConfigPath is the --crm-config value ("" when the CRM link is off).
func crmConfigPath() string { return crmConfigFile }

var (
	crmLiveOnce sync.Once
	crmLiveConf *crm.Live
	crmLiveErr  error
	// crmEchoes remembers the owners write-back wrote, so inbound ignores their echo; write-back
	// calls crmWrittenOwners().Wrote after each accepted write.
	crmEchoes = crm.NewEchoCache(0, 0, nil)
)

// crmLive returns the shared, reloading CRM configuration: nil, nil when --crm-config is unset; an
// error when the file is missing or invalid at start (the manager should not start half-configured).
// Reloading runs once setupCRMInbound or setupCRMWriteBack added it to the manager.
func crmLive() (*crm.Live, error) {
	crmLiveOnce.Do(func() {
		if crmConfigFile == "" {
			return
		}
		crmLiveConf, crmLiveErr = crm.NewLive(crmConfigFile, 0, ctrl.Log.WithName("crm-config"))
	})
	return crmLiveConf, crmLiveErr
}

// crmWrittenOwners is the echo memory shared by write-back and inbound.
func crmWrittenOwners() crm.WrittenOwners { return crmEchoes }

// setupCRMInbound loads the CRM configuration, keeps it current on every replica and returns the
// API's CRM options (nil when --crm-config is unset: the CRM endpoints answer 404).
func setupCRMInbound(mgr ctrl.Manager) (*api.CRMOptions, error) {
	live, err := crmLive()
	if err != nil {
		return nil, fmt.Errorf("loading --crm-config: %w", err)
	}
	if live == nil {
		return nil, nil
	}
	if err := addCRMReloader(mgr, live); err != nil {
		return nil, err
	}
	return &api.CRMOptions{Config: live.Current, Echoes: crmWrittenOwners()}, nil
}

var crmReloadOnce sync.Once

// addCRMReloader keeps the shared CRM configuration current on every replica; inbound and
// write-back both call it (either may run without the other), the first one adds it.
func addCRMReloader(mgr ctrl.Manager, live *crm.Live) (err error) {
	crmReloadOnce.Do(func() {
		if err = mgr.Add(everyReplica(live.Run)); err != nil {
			err = fmt.Errorf("adding the CRM configuration reloader: %w", err)
		}
	})
	return err
}

// everyReplica is a runnable that runs on every replica, not only the elected leader: the API
// serves on all of them.
type everyReplica func(ctx context.Context) error

func (f everyReplica) Start(ctx context.Context) error { return f(ctx) }
func (f everyReplica) NeedLeaderElection() bool        { return false }
