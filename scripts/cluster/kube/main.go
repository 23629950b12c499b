// Command kube is every server binary of the test cluster in one executable,
// the way hyperkube was: one compile of the shared Kubernetes packages and one
// link instead of six. It dispatches on the name it was called by (a symlink
// named kubelet, kube-apiserver, ...) or, failing that, on its first argument:
//
//	kube kube-apiserver --etcd-servers=...
//	kube etcd --data-dir=...
//
// Each component is the upstream command itself (k8s.io/kubernetes/cmd/...,
// go.etcd.io/etcd/server/v3/etcdmain), at the versions in go.mod. Nothing here
// changes their behaviour. scripts/cluster/build.sh builds it.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	_ "time/tzdata"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/restclient"
	_ "k8s.io/component-base/metrics/prometheus/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

var commands = map[string]func() *cobra.Command{
	"kube-apiserver":          apiserver.NewAPIServerCommand,
	"kube-controller-manager": controllermanager.NewControllerManagerCommand,
	"kube-scheduler":          func() *cobra.Command { return scheduler.NewSchedulerCommand() },
	"kube-proxy":              proxy.NewProxyCommand,
	"kubelet":                 func() *cobra.Command { return kubelet.NewKubeletCommand(context.Background()) },
}

func names() string {
	n := []string{"etcd"}
	for k := range commands {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

func main() {
	name, args := filepath.Base(os.Args[0]), os.Args[1:]
	if name == "etcd" || (name != "kube" && commands[name] != nil) {
		// called through a symlink: all arguments are the component's
	} else if len(args) > 0 {
		name, args = args[0], args[1:]
	} else {
		fmt.Fprintf(os.Stderr, "kube: name a component: %s (as the first argument or the name of a symlink to this binary)\n", names())
		os.Exit(2)
	}
	if name == "etcd" {
		etcdmain.Main(append([]string{"etcd"}, args...))
		return
	}
	newCommand, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "kube: unknown component %q: this binary has %s\n", name, names())
		os.Exit(2)
	}
	command := newCommand()
	command.SetArgs(args)
	os.Exit(cli.Run(command))
}
