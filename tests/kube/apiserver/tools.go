//go:build tools

// Package tools pins kube-apiserver for devaipod's tests: `go build
// k8s.io/kubernetes/cmd/kube-apiserver` in this module builds the pinned version.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
