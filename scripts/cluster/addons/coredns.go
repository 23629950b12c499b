package main

import (
	"os"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// runCoreDNS runs CoreDNS with the plugins above. There is deliberately no
// forward plugin: a name outside the cluster's zones gets an error answer
// and no query ever leaves the machine.
func runCoreDNS(args []string) {
	// The plugin chain order of CoreDNS's own plugin.cfg, for the plugins
	// compiled in here.
	dnsserver.Directives = []string{"bind", "ready", "health", "errors", "log", "cache", "kubernetes"}
	os.Args = append([]string{"coredns"}, args...)
	coremain.Run()
}
