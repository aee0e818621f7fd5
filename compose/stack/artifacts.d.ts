// Types of artifacts.js (plain JavaScript so that ensure-tools.js can run it before `npm ci`).
export declare const repoRoot: string;
export declare const stackDir: string;
export declare const kafkaVersion: string;
export declare const kafkaPom: string;
export declare const kafkaLibsDir: string;
export declare const registryVersion: string;
export declare const registryArtifact: string;
export declare const registryDir: string;
export declare const registryJar: string;
export declare function kafkaInstalled(): boolean;
export declare function registryInstalled(): boolean;
export declare function fetchKafka(): Promise<boolean>;
export declare function fetchRegistry(): Promise<boolean>;
