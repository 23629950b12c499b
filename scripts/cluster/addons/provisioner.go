package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v13/controller"
)

// localProvisioner answers claims of its StorageClass with a "local"
// PersistentVolume: a new directory under root on the node the scheduler
// picked (the class must bind WaitForFirstConsumer). A local volume, unlike
// a hostPath one, gets the pod's fsGroup applied by the kubelet, as block
// and CSI volumes on real clusters do; that is why the test cluster uses it.
type localProvisioner struct {
	root string
}

func (p *localProvisioner) Provision(_ context.Context, opts controller.ProvisionOptions) (*v1.PersistentVolume, controller.ProvisioningState, error) {
	// The node name is also its kubernetes.io/hostname label on this cluster
	// (the kubelet registers with --hostname-override).
	node := opts.SelectedNodeName
	if node == "" {
		return nil, controller.ProvisioningFinished, errors.New("no selected node: the StorageClass must have volumeBindingMode WaitForFirstConsumer")
	}
	dir := filepath.Join(p.root, opts.PVName)
	// A fresh filesystem's root: owned by root, mode 0755. Making the pod's
	// user able to write is the kubelet's job (fsGroup), as on real volumes.
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return nil, controller.ProvisioningFinished, fmt.Errorf("creating %s: %w", dir, err)
	}
	reclaim := v1.PersistentVolumeReclaimDelete
	if opts.StorageClass.ReclaimPolicy != nil {
		reclaim = *opts.StorageClass.ReclaimPolicy
	}
	fs := v1.PersistentVolumeFilesystem
	return &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: opts.PVName},
		Spec: v1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: reclaim,
			AccessModes:                   opts.PVC.Spec.AccessModes,
			VolumeMode:                    &fs,
			Capacity:                      v1.ResourceList{v1.ResourceStorage: opts.PVC.Spec.Resources.Requests[v1.ResourceStorage]},
			PersistentVolumeSource:        v1.PersistentVolumeSource{Local: &v1.LocalVolumeSource{Path: dir}},
			NodeAffinity: &v1.VolumeNodeAffinity{Required: &v1.NodeSelector{NodeSelectorTerms: []v1.NodeSelectorTerm{{
				MatchExpressions: []v1.NodeSelectorRequirement{{Key: v1.LabelHostname, Operator: v1.NodeSelectorOpIn, Values: []string{node}}},
			}}}},
		},
	}, controller.ProvisioningFinished, nil
}

func (p *localProvisioner) Delete(_ context.Context, pv *v1.PersistentVolume) error {
	if pv.Spec.Local == nil {
		return fmt.Errorf("%s is not a local volume", pv.Name)
	}
	dir := filepath.Clean(pv.Spec.Local.Path)
	if filepath.Dir(dir) != filepath.Clean(p.root) || !strings.HasPrefix(filepath.Base(dir), "pvc-") {
		return fmt.Errorf("refusing to delete %s: not a volume this provisioner made under %s", dir, p.root)
	}
	return os.RemoveAll(dir)
}

func runProvisioner(args []string) int {
	fl := flag.NewFlagSet("local-provisioner", flag.ContinueOnError)
	kubeconfig := fl.String("kubeconfig", "", "kubeconfig of the cluster")
	name := fl.String("name", "zkpod.test/local", "provisioner name (the StorageClass's provisioner field)")
	root := fl.String("root", "", "directory under which volumes are created")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *kubeconfig == "" || *root == "" {
		fmt.Fprintln(os.Stderr, "local-provisioner: -kubeconfig and -root are required")
		return 2
	}
	if err := os.MkdirAll(*root, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "local-provisioner: %v\n", err)
		return 1
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintf(os.Stderr, "local-provisioner: %v\n", err)
		return 1
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pc := controller.NewProvisionController(ctx, client, *name, &localProvisioner{root: *root},
		controller.LeaderElection(false))
	klog.Infof("local-provisioner %s: volumes under %s", *name, *root)
	pc.Run(ctx)
	return 0
}
