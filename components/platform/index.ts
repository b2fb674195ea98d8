// What is declared on the cluster through the Kubernetes provider: the overlay first, then the platform.
export * from "./Overlay";
export * from "./Platform";
