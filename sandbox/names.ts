// Word lists for synthetic people and places. Names deliberately include accents, ñ, ø, CJK and
// apostrophes: a roster pipeline that only ever sees ASCII has not been tested. Each entry carries
// an ASCII form so usernames and emails stay valid addresses.

export type Name = readonly [display: string, ascii: string];

export const GIVEN_NAMES: readonly Name[] = [
  ['Olivia', 'olivia'], ['Liam', 'liam'], ['Emma', 'emma'], ['Noah', 'noah'], ['Ava', 'ava'],
  ['Mateo', 'mateo'], ['Sofía', 'sofia'], ['José', 'jose'], ['Zoë', 'zoe'], ['Chloé', 'chloe'],
  ['Renée', 'renee'], ['André', 'andre'], ['Iñaki', 'inaki'], ['Begoña', 'begona'], ['Søren', 'soren'],
  ['Bjørn', 'bjorn'], ['Åsa', 'asa'], ['Ngozi', 'ngozi'], ['Aaliyah', 'aaliyah'], ['DeShawn', 'deshawn'],
  ['Mei', 'mei'], ['伟', 'wei'], ['秀英', 'xiuying'], ['Hiroshi', 'hiroshi'], ['Yuki', 'yuki'],
  ['Priya', 'priya'], ['Arjun', 'arjun'], ['Fatima', 'fatima'], ['Omar', 'omar'], ['Nguyễn', 'nguyen'],
  ['Thảo', 'thao'], ['Jae-won', 'jaewon'], ['Seo-yeon', 'seoyeon'], ['Ana María', 'anamaria'], ['Jean-Luc', 'jeanluc'],
  ['Siobhán', 'siobhan'], ['Niamh', 'niamh'], ['Maëlle', 'maelle'], ['Łukasz', 'lukasz'], ['Zoltán', 'zoltan'],
  ['Dmitri', 'dmitri'], ['Ayşe', 'ayse'], ['Kwame', 'kwame'], ['Amara', 'amara'], ['Lucía', 'lucia'],
  ['Ethan', 'ethan'], ['Harper', 'harper'], ['Elijah', 'elijah'], ['Isabella', 'isabella'], ['James', 'james'],
  ['Mia', 'mia'], ['Benjamin', 'benjamin'], ['Charlotte', 'charlotte'], ['Lucas', 'lucas'], ['Amelia', 'amelia'],
  ["D'Andre", 'dandre'], ['Camila', 'camila'], ['Santiago', 'santiago'], ['Valentina', 'valentina'], ['Kai', 'kai'],
];

export const FAMILY_NAMES: readonly Name[] = [
  ['Smith', 'smith'], ['Johnson', 'johnson'], ['Williams', 'williams'], ['Brown', 'brown'], ['Jones', 'jones'],
  ['García', 'garcia'], ['Martínez', 'martinez'], ['Rodríguez', 'rodriguez'], ['Hernández', 'hernandez'], ['López', 'lopez'],
  ['Muñoz', 'munoz'], ['Peña', 'pena'], ['Núñez', 'nunez'], ['Ibáñez', 'ibanez'], ["O'Brien", 'obrien'],
  ["O'Connor", 'oconnor'], ["D'Angelo", 'dangelo'], ['McAllister', 'mcallister'], ['Müller', 'muller'], ['Schäfer', 'schafer'],
  ['Øvergård', 'overgard'], ['Sørensen', 'sorensen'], ['Ångström', 'angstrom'], ['Dubois', 'dubois'], ['Lefèvre', 'lefevre'],
  ['李', 'li'], ['王', 'wang'], ['张', 'zhang'], ['陈', 'chen'], ['Nguyễn', 'nguyen'],
  ['Trần', 'tran'], ['Kim', 'kim'], ['Park', 'park'], ['Tanaka', 'tanaka'], ['Suzuki', 'suzuki'],
  ['Patel', 'patel'], ['Singh', 'singh'], ['Okafor', 'okafor'], ['Mensah', 'mensah'], ['Haddad', 'haddad'],
  ['Kowalski', 'kowalski'], ['Nowak', 'nowak'], ['Yılmaz', 'yilmaz'], ['Papadopoulos', 'papadopoulos'], ['Rossi', 'rossi'],
  ['Smith-Jones', 'smithjones'], ['van der Berg', 'vanderberg'], ['De La Cruz', 'delacruz'], ['Taylor', 'taylor'], ['Anderson', 'anderson'],
  ['Thomas', 'thomas'], ['Moore', 'moore'], ['Jackson', 'jackson'], ['White', 'white'], ['Harris', 'harris'],
  ['Clark', 'clark'], ['Lewis', 'lewis'], ['Walker', 'walker'], ['Young', 'young'], ['Allen', 'allen'],
];

export const PLACES: readonly Name[] = [
  ['Cedar Falls', 'cedarfalls'], ['Riverside', 'riverside'], ['Maple Grove', 'maplegrove'], ['San Martín', 'sanmartin'],
  ['Lakeview', 'lakeview'], ['Pine Ridge', 'pineridge'], ['Brookhaven', 'brookhaven'], ['Oak Hollow', 'oakhollow'],
  ['Sierra Vista', 'sierravista'], ['Fairmont', 'fairmont'], ['Glenwood', 'glenwood'], ['Harbor Point', 'harborpoint'],
];

/** Patrons for school names ("Roberto Clemente Elementary"). */
export const PATRONS: readonly string[] = [
  'Roberto Clemente', 'Sojourner Truth', 'César Chávez', 'Amelia Earhart', 'Sally Ride', 'Thurgood Marshall',
  'Ellen Ochoa', 'Frederick Douglass', 'Dolores Huerta', 'Ada Lovelace', 'Jackie Robinson', 'Maya Angelou',
  'Booker T. Washington', 'Harriet Tubman', "Georgia O'Keeffe", 'Sequoyah', 'Katherine Johnson', 'Neil Armstrong',
  'Rosa Parks', 'John Muir', 'Grace Hopper', 'Wilma Rudolph', 'Chief Joseph', 'Mae Jemison',
];

/** Course catalogue per grade band: [title, code stem, subject]. */
export const COURSES: Record<'elementary' | 'middle' | 'high', readonly (readonly [string, string, string])[]> = {
  elementary: [
    ['Homeroom', 'HR', 'homeroom'], ['Reading', 'ELA', 'English Language Arts'], ['Mathematics', 'MATH', 'Mathematics'],
    ['Science', 'SCI', 'Science'], ['Social Studies', 'SS', 'Social Studies'], ['Art', 'ART', 'Fine Arts'],
    ['Music', 'MUS', 'Fine Arts'], ['Physical Education', 'PE', 'Physical Education'], ['Español', 'SPAN', 'World Languages'],
    ['Library', 'LIB', 'Library'],
  ],
  middle: [
    ['English 6', 'ENG6', 'English Language Arts'], ['English 7', 'ENG7', 'English Language Arts'], ['English 8', 'ENG8', 'English Language Arts'],
    ['Math 6', 'MTH6', 'Mathematics'], ['Pre-Algebra', 'PALG', 'Mathematics'], ['Algebra I', 'ALG1', 'Mathematics'],
    ['Life Science', 'LSCI', 'Science'], ['Earth Science', 'ESCI', 'Science'], ['Physical Science', 'PSCI', 'Science'],
    ['World History', 'WHIS', 'Social Studies'], ['U.S. History', 'USH8', 'Social Studies'], ['Band', 'BAND', 'Fine Arts'],
    ['Français I', 'FRN1', 'World Languages'], ['Health & PE', 'HPE', 'Physical Education'],
  ],
  high: [
    ['English I', 'ENG1', 'English Language Arts'], ['English II', 'ENG2', 'English Language Arts'], ['AP English Literature', 'APLIT', 'English Language Arts'],
    ['Algebra II', 'ALG2', 'Mathematics'], ['Geometry', 'GEOM', 'Mathematics'], ['Pre-Calculus', 'PCAL', 'Mathematics'],
    ['AP Calculus AB', 'APCAB', 'Mathematics'], ['Biology', 'BIO', 'Science'], ['Chemistry', 'CHEM', 'Science'],
    ['Physics', 'PHYS', 'Science'], ['U.S. Government', 'GOV', 'Social Studies'], ['Economics', 'ECON', 'Social Studies'],
    ["Children's Literature", 'CLIT', 'English Language Arts'], ['Spanish II', 'SPN2', 'World Languages'], ['Mandarin 中文 I', 'MAN1', 'World Languages'],
    ['Computer Science', 'CS', 'Computer Science'], ['Chorale', 'CHOR', 'Fine Arts'], ['Weight Training', 'WGHT', 'Physical Education'],
  ],
};

/** OneRoster grade codes, index 0 = kindergarten. */
export const GRADES: readonly string[] = ['KG', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'];
