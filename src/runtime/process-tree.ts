export function killTree(_pid: number, _signal: string) {}
