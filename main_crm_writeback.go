package main

import (
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/leadops/leadops/controllers"
	"github.com/leadops/leadops/internal/clock"
	"github.com/leadops/leadops/internal/crm"
	"github.com/leadops/leadops/internal/crm/writeback"
	"github.com/leadops/leadops/internal/store"
)

// crmWriteBackHealth is where the write-back workers report and where the LeadPolicy reconciler
// reads the CRMWriteBack condition from: pass controllers.WithWriteBackHealth(crmWriteBackHealth)
// to controllers.Setup.
var crmWriteBackHealth = writeback.NewRegistry()

// setupCRMWriteBack adds the write-back supervisor to the manager: on the elected leader, one worker
// per connection of --crm-config with writeBack.enabled, following the file as it is reloaded
// (main_crm_inbound.go owns the flag and the reloading). Nothing when --crm-config is unset.
func setupCRMWriteBack(mgr ctrl.Manager, st store.Backend) error {
	live, err := crmLive()
	if err != nil {
		return fmt.Errorf("loading --crm-config: %w", err)
	}
	if live == nil {
		return nil
	}
	if err := addCRMReloader(mgr, live); err != nil {
		return err
	}
	log := ctrl.Log.WithName("crm-writeback")
	roster := controllers.WriteBackRoster(mgr.GetClient())
	echoes := crmWrittenOwners()
	sup := &writeback.Supervisor{Config: live.Current, Log: log,
		NewWorker: func(conn crm.Connection) *writeback.Worker {
			return &writeback.Worker{Conn: conn, CRM: writeback.NewCRM(conn, writeback.ClientOptions{}),
				Feed: st, Leads: st, Roster: roster, Echoes: echoes, Health: crmWriteBackHealth,
				Clock: clock.Real{}, Log: log.WithValues("connection", conn.Name)}
		}}
	if err := mgr.Add(sup); err != nil {
		return fmt.Errorf("adding CRM write-back: %w", err)
	}
	return nil
}
