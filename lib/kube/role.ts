/**
 * The least-privilege Role devaipod needs in its namespace: each resource it touches and the verbs
 * on it, nothing cluster-wide. The README documents it, and the tests bind their token to exactly
 * this Role. Pure data.
 */

/** One rule of a Kubernetes Role. */
export interface RoleRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** What devaipod does in the namespace: the objects of a workspace, their logs and exec. */
export const DEVAIPOD_ROLE_RULES: readonly RoleRule[] = [
  {
    apiGroups: [""],
    resources: ["configmaps", "persistentvolumeclaims", "pods", "secrets", "services"],
    verbs: ["create", "delete", "get", "list"],
  },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
  {
    apiGroups: ["networking.k8s.io"],
    resources: ["networkpolicies"],
    verbs: ["create", "delete", "get", "list"],
  },
];

/** The Role object, named `devaipod`, in `namespace`. */
export function devaipodRole(namespace: string): Record<string, unknown> {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "devaipod", namespace },
    rules: DEVAIPOD_ROLE_RULES,
  };
}
