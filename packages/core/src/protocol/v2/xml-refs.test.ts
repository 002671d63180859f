import { describe, expect, it } from 'vitest';
import { XmlError } from '../../errors.js';
import { MAX_XML_REFERENCES, parseXml, parseXmlGeneral } from './xml.js';

describe('entity and character references', () => {
  it(`decodes up to ${MAX_XML_REFERENCES} references and refuses more, on both parse paths`, () => {
    const within = `<xml><attach>${'&#20013;'.repeat(MAX_XML_REFERENCES)}</attach></xml>`;
    expect(parseXml(within)['attach']).toBe('中'.repeat(MAX_XML_REFERENCES));
    expect(parseXmlGeneral(within)['attach']).toBe('中'.repeat(MAX_XML_REFERENCES));
    const over = `<xml><attach>${'&amp;'.repeat(MAX_XML_REFERENCES + 1)}</attach></xml>`;
    expect(() => parseXml(over)).toThrow(XmlError);
    expect(() => parseXmlGeneral(over)).toThrow(/more than 1024 entity or character references/);
  });
});
