// Command addons holds the test cluster's two add-ons in one binary,
// dispatched on its first argument (or the name of a symlink to it):
//
//	addons coredns -conf Corefile             cluster DNS
//	addons local-provisioner -kubeconfig ...  dynamic local PersistentVolumes
//
// coredns is CoreDNS (github.com/coredns/coredns, at the version in go.mod)
// with only the plugins the cluster's DNS uses; see coredns.go.
// local-provisioner is a provisioner for "local" volumes built on the
// sig-storage external-provisioner library; see provisioner.go.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	name, args := filepath.Base(os.Args[0]), os.Args[1:]
	if name != "coredns" && name != "local-provisioner" {
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, "addons: name a component: coredns or local-provisioner")
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	switch name {
	case "coredns":
		runCoreDNS(args)
	case "local-provisioner":
		os.Exit(runProvisioner(args))
	default:
		fmt.Fprintf(os.Stderr, "addons: unknown component %q: this binary has coredns and local-provisioner\n", name)
		os.Exit(2)
	}
}
