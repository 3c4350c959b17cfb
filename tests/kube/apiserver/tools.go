//go:build tools

// Package tools pins kube-apiserver and kube-scheduler for devaipod's tests: `go build
// k8s.io/kubernetes/cmd/kube-apiserver` (or cmd/kube-scheduler) in this module builds the pinned
// version.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
