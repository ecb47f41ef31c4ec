// Command libcni-client drives CNI plugins through libcni, the library containerd and CRI-O
// embed, so the tests see exactly what those runtimes send (capabilities, runtimeConfig,
// cached prevResult on CHECK/DEL) rather than what our own harness thinks they send.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/containernetworking/cni/libcni"
)

// portMapping is the shape of the "portMappings" capability as containerd and podman send it.
type portMapping struct {
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// parsePorts reads "HOST:CONTAINER/PROTO[,...]" so the test can ask portmap for real work.
func parsePorts(s string) ([]portMapping, error) {
	var out []portMapping
	if s == "" {
		return out, nil
	}
	for _, item := range strings.Split(s, ",") {
		proto := "tcp"
		spec := item
		if i := strings.IndexByte(item, '/'); i >= 0 {
			spec, proto = item[:i], item[i+1:]
		}
		hc := strings.Split(spec, ":")
		if len(hc) != 2 {
			return nil, fmt.Errorf("-ports: %q is not HOST:CONTAINER[/PROTO]", item)
		}
		h, err1 := strconv.Atoi(hc[0])
		c, err2 := strconv.Atoi(hc[1])
		if err1 != nil || err2 != nil || h < 1 || h > 65535 || c < 1 || c > 65535 {
			return nil, fmt.Errorf("-ports: %q has a bad port number", item)
		}
		out = append(out, portMapping{HostPort: h, ContainerPort: c, Protocol: proto})
	}
	return out, nil
}

func run() error {
	conf := flag.String("conf", "", "conflist file")
	netns := flag.String("netns", "", "pod network namespace path (may be empty for del)")
	id := flag.String("id", "", "container id")
	ifname := flag.String("ifname", "eth0", "interface name inside the pod")
	path := flag.String("path", "", "CNI_PATH: plugin directories separated by ':'")
	cache := flag.String("cache", "", "libcni result cache directory (default: libcni's own)")
	ports := flag.String("ports", "", "port mappings HOST:CONTAINER[/PROTO],... (portMappings capability)")
	cargs := flag.String("args", "", "CNI_ARGS as K=V;K=V")
	timeout := flag.Duration("timeout", 30*time.Second, "overall deadline for the command")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [flags] add|check|del\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		return fmt.Errorf("need exactly one command: add, check or del")
	}
	cmd := flag.Arg(0)
	if *conf == "" || *id == "" || *path == "" {
		return fmt.Errorf("-conf, -id and -path are required")
	}

	list, err := libcni.ConfListFromFile(*conf)
	if err != nil {
		return fmt.Errorf("reading %s: %w", *conf, err)
	}
	pm, err := parsePorts(*ports)
	if err != nil {
		return err
	}

	rt := &libcni.RuntimeConf{
		ContainerID:    *id,
		NetNS:          *netns,
		IfName:         *ifname,
		CapabilityArgs: map[string]interface{}{},
	}
	if len(pm) > 0 {
		rt.CapabilityArgs["portMappings"] = pm
	}
	if *cargs != "" {
		for _, kv := range strings.Split(*cargs, ";") {
			p := strings.SplitN(kv, "=", 2)
			if len(p) != 2 {
				return fmt.Errorf("-args: %q is not K=V", kv)
			}
			rt.Args = append(rt.Args, [2]string{p[0], p[1]})
		}
	}

	cni := libcni.NewCNIConfigWithCacheDir(strings.Split(*path, ":"), *cache, nil)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	switch cmd {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return fmt.Errorf("AddNetworkList: %w", err)
		}
		out, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(out))
	case "check":
		if err := cni.CheckNetworkList(ctx, list, rt); err != nil {
			return fmt.Errorf("CheckNetworkList: %w", err)
		}
		fmt.Println(`{"check": "ok"}`)
	case "del":
		if err := cni.DelNetworkList(ctx, list, rt); err != nil {
			return fmt.Errorf("DelNetworkList: %w", err)
		}
		fmt.Println(`{"del": "ok"}`)
	default:
		flag.Usage()
		return fmt.Errorf("unknown command %q", cmd)
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "libcni-client:", err)
		os.Exit(1)
	}
}
