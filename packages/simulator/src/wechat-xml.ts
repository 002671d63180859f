/**
 * Builds XML the way WeChat's servers write it: text in CDATA, integers bare (spec §1.2).
 * Values come from parsed requests or from the simulator itself, so they never hold characters
 * XML cannot carry.
 */
export function wechatXml(fields: Readonly<Record<string, string | number | undefined>>, root = 'xml'): string {
  let out = `<${root}>`;
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === '') continue;
    out +=
      typeof value === 'number'
        ? `<${name}>${value}</${name}>`
        : `<${name}><![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]></${name}>`;
  }
  return `${out}</${root}>`;
}
