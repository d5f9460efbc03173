export declare const PROVIDERS: string[];
export declare function composeSchema(provider: string): string;
