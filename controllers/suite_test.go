package controllers

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/testutil/kubeenv"
	"github.com/leadops/leadops/internal/testutil/pgtest"
)

var (
	k8sClient  client.Client
	restConfig *rest.Config
	testScheme = runtime.NewScheme()
	testRoot   string
)

// TestMain starts one real kube-apiserver + etcd with the CRDs installed. Each test that needs the
// controllers starts its own manager (see startEnv), wired exactly as main.go wires it, against its own
// namespace and its own lead store (SQLite file or a fresh PostgreSQL database).
func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	flag.Parse() // zapLevel reads -test.bench
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	assets, err := kubeenv.Assets()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	testRoot, err = kubeenv.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(testRoot, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	restConfig, err = env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting envtest (kube-apiserver + etcd from %s): %v\n", assets, err)
		return 1
	}
	defer func() { _ = env.Stop() }()

	utilruntime.Must(clientgoscheme.AddToScheme(testScheme))
	utilruntime.Must(leadopsv1.AddToScheme(testScheme))
	// A direct client: tests read what the API server holds, not a cache.
	k8sClient, err = client.New(restConfig, client.Options{Scheme: testScheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating client:", err)
		return 1
	}
	return pgtest.Run(m)
}
