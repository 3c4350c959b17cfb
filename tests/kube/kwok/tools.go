//go:build tools

// Package tools pins kwok for devaipod's tests: `go build sigs.k8s.io/kwok/cmd/kwok` in this
// module builds the pinned version. kwok plays the kubelet of fake nodes, so that pods which the
// tests' kube-scheduler places reach Running without a container runtime.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
